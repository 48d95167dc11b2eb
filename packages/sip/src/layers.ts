/**
 * The types this facade takes from the layers below, in one place.
 */
export type { SipMessage, SipRequest, SipResponse, SipUri, Uri, Via, NameAddr, RouteEntry, Headers } from '@sipts/message';
export type { Logger, Remote, Target, TransportProtocol } from '@sipts/transport';
export type { ListenOptions, Pem, TlsOptions, TransportOptions, WsOptions, WssOptions, TransportLayer } from '@sipts/transport/node';
export type { Stack, StackOptions } from '@sipts/transaction/node';
