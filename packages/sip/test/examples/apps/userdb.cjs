// The "userdb" module the classic documentation's proxy example requires: where each user can be
// reached. Here the users and their contacts come from the USERDB environment variable, a JSON
// object such as {"bob": "sip:bob@127.0.0.2:5062"}.
'use strict';

var users = JSON.parse(process.env.USERDB || '{}');

exports.getContact = function(user) {
  return Object.prototype.hasOwnProperty.call(users, user) ? users[user] : undefined;
};
