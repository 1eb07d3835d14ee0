import { z } from 'zod';

const port = z.coerce.number({ error: 'expected a TCP port number' }).int('expected a whole number').min(1, 'expected a port from 1 to 65535').max(65535, 'expected a port from 1 to 65535');
const seconds = z.coerce.number({ error: 'expected a number of seconds' }).positive('expected a positive number of seconds');

/**
 * The service's configuration. Every key is documented here and in the
 * README; YAML files in config/ set non-secret values, the environment sets
 * the fixed names (PORT, REDIS_URL, ...) and every secret.
 */
export const configSchema = z
  .object({
    /** How the service reaches calls: `demo` = the built-in PBX simulator with example callers. */
    mode: z.enum(['demo', 'asterisk', 'twilio'], { error: 'expected one of demo, asterisk, twilio' }).default('demo'),
    service: z
      .object({
        /** HTTP port (env PORT); 0 = any free port (tests). @defaultValue 8080 */
        port: z.coerce.number({ error: 'expected a TCP port number' }).int('expected a whole number').min(0, 'expected a port from 0 to 65535').max(65535, 'expected a port from 0 to 65535').default(8080),
        /** Public base URL, for Twilio signatures and links (env PUBLIC_URL). */
        publicUrl: z.url({ error: 'expected an absolute URL such as https://112.example.go.id' }).optional(),
        /** error | warn | info | debug | silent (env LOG_LEVEL). @defaultValue info */
        logLevel: z.enum(['error', 'warn', 'info', 'debug', 'silent'], { error: 'expected one of error, warn, info, debug, silent' }).default('info'),
        /** Mask caller numbers in logs (0812****5678). @defaultValue true */
        maskCallerNumbers: z.boolean({ error: 'expected true or false' }).default(true),
        /** Name of this instance in leases and logs. @defaultValue host name and process id */
        instanceId: z.string().min(1).optional(),
        /** Trust X-Forwarded-* from a reverse proxy. @defaultValue false */
        trustProxy: z.boolean({ error: 'expected true or false' }).default(false),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /** env REDIS_URL. @defaultValue redis://127.0.0.1:6379 */
        url: z.string().regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://host:port').default('redis://127.0.0.1:6379'),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /** PostgreSQL URL (env DATABASE_URL); when absent the embedded SQLite store is used. */
        databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://user@host:port/database').optional(),
        /** SQLite file. @defaultValue data/siaga112.sqlite */
        sqlitePath: z.string().min(1).default('data/siaga112.sqlite'),
      })
      .strict()
      .prefault({}),
    asterisk: z
      .object({
        ari: z
          .object({
            /** env ASTERISK_ARI_URL, e.g. http://127.0.0.1:8088 */
            url: z.url({ error: 'expected an http(s) URL such as http://127.0.0.1:8088' }).optional(),
            /** env ASTERISK_ARI_USER */
            user: z.string().min(1).optional(),
            /** env ASTERISK_ARI_PASSWORD (environment only) */
            password: z.string().min(1).optional(),
            /** Stasis application name (env ASTERISK_ARI_APP). @defaultValue siaga112 */
            app: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . or -').default('siaga112'),
          })
          .strict()
          .prefault({}),
        ami: z
          .object({
            /** env ASTERISK_AMI_HOST */
            host: z.string().min(1).optional(),
            /** env ASTERISK_AMI_PORT. @defaultValue 5038 */
            port: port.default(5038),
            /** env ASTERISK_AMI_USER */
            user: z.string().min(1).optional(),
            /** env ASTERISK_AMI_PASSWORD (environment only) */
            password: z.string().min(1).optional(),
          })
          .strict()
          .prefault({}),
        /** Dialplan context used to call back a caller. @defaultValue siaga112-outbound */
        outboundContext: z.string().min(1).default('siaga112-outbound'),
        /** Timeout for any single ARI/AMI request. @defaultValue 5 */
        actionTimeoutSeconds: seconds.default(5),
        /** Longest wait between reconnect attempts. @defaultValue 10 */
        reconnectMaxSeconds: seconds.default(10),
      })
      .strict()
      .prefault({}),
    dispatch: z
      .object({
        /** How long an operator's phone rings before the call goes back to the queue. @defaultValue 15 */
        ringTimeoutSeconds: seconds.default(15),
        /** Wrap-up ends by itself after this. @defaultValue 120 */
        wrapUpTimeoutSeconds: seconds.default(120),
        /** A reservation not settled within this is released (a dispatcher died). @defaultValue 30 */
        offerLeaseSeconds: seconds.default(30),
        overflow: z
          .object({
            /** Apply the overflow when no operator has been logged in for this long. @defaultValue 60 */
            noOperatorSeconds: seconds.default(60),
            /** keep_waiting (default) or transfer to `transferTarget`. */
            action: z.enum(['keep_waiting', 'transfer'], { error: 'expected keep_waiting or transfer' }).default('keep_waiting'),
            /** Backup centre number or endpoint, required with action transfer. */
            transferTarget: z.string().min(1).optional(),
          })
          .strict()
          .prefault({})
          .refine((o) => o.action !== 'transfer' || !!o.transferTarget, { message: 'action transfer needs transferTarget (the backup centre number)', path: ['transferTarget'] }),
      })
      .strict()
      .prefault({}),
    /** Operators and their softphones (a real PBX). The demo creates its own. */
    operators: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a lowercase id such as op1'),
            displayName: z.string().min(1),
            endpoint: z.string().regex(/^(PJSIP|SIP|IAX2)\/\S+$|^client:\S+$|^sip:\S+$/, 'expected PJSIP/<name>, client:<identity> or sip:<address>'),
          })
          .strict(),
      )
      .default([]),
    /** Agencies beyond the built-in police 110, fire 113, ambulance 118/119, SAR 115. */
    agencies: z
      .array(z.object({ id: z.string().regex(/^[a-z0-9_-]+$/, 'expected a lowercase id'), name: z.string().min(1), number: z.string().min(1) }).strict())
      .default([]),
    twilio: z
      .object({
        /** env TWILIO_ACCOUNT_SID */
        accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits').optional(),
        /** env TWILIO_AUTH_TOKEN (environment only) */
        authToken: z.string().min(1).optional(),
        /** Twilio REST API base URL; tests point it at a local fake. */
        apiBaseUrl: z.url().optional(),
      })
      .strict()
      .prefault({}),
    /** env SESSION_SECRET (environment only): signs console sessions. */
    sessionSecret: z.string().min(32, 'expected at least 32 characters').optional(),
    /** The IVR menu file. @defaultValue config/ivr.yaml */
    ivrFile: z.string().min(1).default('config/ivr.yaml'),
  })
  .strict();

export type AppConfig = z.infer<typeof configSchema>;

/** Keys that only the environment may set. */
export const SECRET_PATHS: ReadonlyArray<ReadonlyArray<string>> = [
  ['asterisk', 'ari', 'password'],
  ['asterisk', 'ami', 'password'],
  ['twilio', 'authToken'],
  ['sessionSecret'],
];

/** The fixed environment names and the keys they set. */
export const ENV_KEYS: Readonly<Record<string, ReadonlyArray<string>>> = {
  SIAGA112_MODE: ['mode'],
  PORT: ['service', 'port'],
  PUBLIC_URL: ['service', 'publicUrl'],
  LOG_LEVEL: ['service', 'logLevel'],
  SIAGA112_INSTANCE_ID: ['service', 'instanceId'],
  REDIS_URL: ['redis', 'url'],
  DATABASE_URL: ['store', 'databaseUrl'],
  SIAGA112_SQLITE_PATH: ['store', 'sqlitePath'],
  ASTERISK_ARI_URL: ['asterisk', 'ari', 'url'],
  ASTERISK_ARI_USER: ['asterisk', 'ari', 'user'],
  ASTERISK_ARI_PASSWORD: ['asterisk', 'ari', 'password'],
  ASTERISK_ARI_APP: ['asterisk', 'ari', 'app'],
  ASTERISK_AMI_HOST: ['asterisk', 'ami', 'host'],
  ASTERISK_AMI_PORT: ['asterisk', 'ami', 'port'],
  ASTERISK_AMI_USER: ['asterisk', 'ami', 'user'],
  ASTERISK_AMI_PASSWORD: ['asterisk', 'ami', 'password'],
  TWILIO_ACCOUNT_SID: ['twilio', 'accountSid'],
  TWILIO_AUTH_TOKEN: ['twilio', 'authToken'],
  SESSION_SECRET: ['sessionSecret'],
  SIAGA112_IVR_FILE: ['ivrFile'],
};
