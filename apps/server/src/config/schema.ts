/**
 * The server's configuration shape (the contract in the app README): a zod schema with every
 * default, so that an empty YAML document is a working configuration.
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65_535);
/** A port, or `false` for off. */
const portOrOff = z.union([port, z.literal(false)]);
/** A TLS-style listener: off, or a port with a certificate and key (PEM files). */
const secureListener = z.union([z.literal(false), z.strictObject({ port, cert: z.string().min(1), key: z.string().min(1) })]);
/** The TLS listener: as above, and `clientCa` (PEM file) to require client certificates it signed (mutual TLS). */
const tlsListener = z.union([z.literal(false), z.strictObject({ port, cert: z.string().min(1), key: z.string().min(1), clientCa: z.string().min(1).optional() })]);
const hex = (length: number): z.ZodString => z.string().regex(new RegExp(`^[0-9a-fA-F]{${String(length)}}$`), `must be ${String(length)} hex digits`);

/** One user: a name and H(user:realm:password) per algorithm, never the password. */
export const userSchema = z.strictObject({
  user: z.string().min(1).regex(/^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/, 'must be a SIP user part'),
  ha1: z
    .strictObject({ md5: hex(32).optional(), sha256: hex(64).optional() })
    .refine((h) => h.md5 !== undefined || h.sha256 !== undefined, 'needs md5 or sha256'),
});

/** A file listing more users (`usersFile`). */
export const usersFileSchema = z.strictObject({ users: z.array(userSchema).default([]) });

const storeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sqlite') }),
  z.strictObject({ kind: z.literal('memory') }),
  z.strictObject({
    kind: z.literal('redis'),
    url: z.string().min(1).default('redis://127.0.0.1:6379'),
    prefix: z.string().regex(/^[^{}]*$/, 'must not contain { or } (they are Redis Cluster hash tags)').default('sipts:'),
    /** A Redis Cluster: its seed nodes (`url` is then unused). */
    cluster: z.strictObject({ nodes: z.array(z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')).min(1) }).optional(),
  }),
]);

const algorithm = z.enum(['SHA-256', 'MD5']);

/** One row of the client table (auth-offer.ts). */
export const clientRuleSchema = z.strictObject({
  userAgent: z.string().min(1).nullable(),
  algorithms: z.array(algorithm).min(1),
  note: z.string().optional(),
});

/**
 * The clients tried that need MD5 (README "Phones tried"): baresip 1.x gives up when a SHA-256
 * challenge is present at all; sipsak and sipp read only the first challenge and know only MD5
 * (sipp's scenarios usually send no User-Agent).
 */
export const DEFAULT_CLIENTS: z.infer<typeof clientRuleSchema>[] = [
  { userAgent: 'baresip', algorithms: ['MD5'], note: 'baresip 1.0 gives up when any challenge is SHA-256' },
  { userAgent: 'sipsak', algorithms: ['MD5'], note: 'sipsak 0.9 reads the first challenge, MD5 only' },
  { userAgent: 'sipp', algorithms: ['MD5', 'SHA-256'], note: 'sipp 3.6 reads the first challenge, MD5 only' },
  { userAgent: null, algorithms: ['MD5', 'SHA-256'], note: 'no User-Agent (sipp scenarios): MD5 first' },
];

/** The whole configuration. */
export const configSchema = z.strictObject({
  domains: z.array(z.string().min(1).toLowerCase()).min(1).default(['localhost', '127.0.0.1']),
  listen: z
    .strictObject({
      address: z.string().min(1).default('127.0.0.1'),
      udp: portOrOff.default(5060),
      tcp: portOrOff.default(5060),
      tls: tlsListener.default(false),
      ws: portOrOff.default(8088),
      wss: secureListener.default(false),
      publicAddress: z.string().min(1).nullable().default(null),
      /**
       * Web pages (`scheme://host[:port]`) whose scripts may open a WebSocket; pages served from
       * one of the server's own names (domains, listen address, publicAddress) always may.
       */
      allowedOrigins: z.array(z.string().min(1).toLowerCase()).default([]),
    })
    .prefault({}),
  dataDir: z.string().min(1).default('./data'),
  store: storeSchema.default({ kind: 'sqlite' }),
  users: z.array(userSchema).default([]),
  usersFile: z.string().min(1).nullable().default(null),
  registrar: z
    .strictObject({
      minExpires: z.number().int().min(1).default(60),
      maxExpires: z.number().int().min(1).default(3600),
      defaultExpires: z.number().int().min(1).default(3600),
      purgeIntervalSeconds: z.number().int().min(1).default(30),
    })
    .prefault({})
    .refine((r) => r.minExpires <= r.maxExpires, { message: 'minExpires must not exceed maxExpires', path: ['minExpires'] }),
  auth: z
    .strictObject({
      algorithms: z.array(algorithm).min(1).default(['SHA-256', 'MD5']),
      requests: z.boolean().default(true),
      secret: z.string().min(16).nullable().default(null),
      /** A file holding the secret (created with a random one, mode 0600, when absent). */
      secretFile: z.string().min(1).nullable().default(null),
      /** Digest nonces whose counts are kept per user (replay detection); beyond, the oldest is answered stale=true. */
      noncesPerUser: z.number().int().min(1).max(100_000).default(256),
      /** Challenges by User-Agent (auth-offer.ts): first match wins. */
      clients: z.array(clientRuleSchema).default(DEFAULT_CLIENTS),
      /** Failed authentications per source and per user before a cool-down of 403s. */
      guessing: z
        .strictObject({
          maxFailures: z.number().int().min(0).default(10),
          windowSeconds: z.number().int().min(1).default(600),
          cooldownSeconds: z.number().int().min(1).default(900),
          maxEntries: z.number().int().min(1).default(100_000),
        })
        .prefault({}),
    })
    .prefault({}),
  routing: z
    .strictObject({
      forking: z.enum(['parallel', 'sequential']).default('parallel'),
      otherDomains: z.enum(['forward', 'refuse']).default('refuse'),
      recordRoute: z.boolean().default(true),
      /** RFC 3325: set P-Asserted-Identity from the authenticated user on requests it sends. */
      assertIdentity: z.boolean().default(false),
    })
    .prefault({}),
  limits: z
    .strictObject({
      registerPerSecondPerSource: z.number().min(0).default(20),
      /** Every request and ACK, per source address (IPv6: per /64); 0 = off. */
      requestsPerSecondPerSource: z.number().min(0).default(50),
      /** Bindings (contacts) one AOR may have; a REGISTER adding more gets 403. */
      bindingsPerAor: z.number().int().min(1).default(10),
      /** Branches one request is forked to (highest q first). */
      forksPerRequest: z.number().int().min(1).default(10),
      /** How many times one request may come back through the server (spirals) before 482. */
      spiralsPerRequest: z.number().int().min(0).default(1),
      /** Contacts the server remembers per user for in-dialog requests over their flows. */
      contactsPerUser: z.number().int().min(1).default(20),
      connectionIdleSeconds: z.number().int().min(1).default(3900),
      /** Flow-Timer in the 200 of an outbound REGISTER (RFC 5626 §4.4.1), at most 3/4 of connectionIdleSeconds. */
      flowTimerSeconds: z.number().int().min(1).default(120),
      /** A connection that has not sent a valid request within this time is closed. */
      firstRequestSeconds: z.number().int().min(1).default(10),
      maxConnections: z.number().int().min(1).default(10_000),
      connectionsPerAddress: z.number().int().min(1).default(100),
      /** Connections from one IPv6 /64 (one subscriber's network), all its addresses together. */
      connectionsPerIpv6Prefix: z.number().int().min(1).default(100),
      shutdownGraceSeconds: z.number().min(0).default(5),
      /** SO_RCVBUF of the UDP socket; the kernel caps it at net.core.rmem_max. */
      udpReceiveBufferBytes: z.number().int().min(0).default(4 * 1024 * 1024),
    })
    .prefault({}),
  http: z.strictObject({ address: z.string().min(1).default('127.0.0.1'), port: portOrOff.default(9090) }).prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  instanceId: z.string().min(1).regex(/^[A-Za-z0-9\-_.]+$/, 'letters, digits, - _ . only').nullable().default(null),
});

/** A validated configuration, every default filled in. */
export type ServerConfig = z.infer<typeof configSchema>;
/** One configured user. */
export type UserEntry = z.infer<typeof userSchema>;
