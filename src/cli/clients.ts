import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { ClientInputError, createClientsStore, publicView } from '../oauth/clients.js';
import { openCore } from '../runtime.js';

// `admit clients create|list|delete`: OAuth2 clients of the built-in provider. `create` prints one
// JSON object with client_id and, for a confidential client, client_secret: shown this once, stored
// only as a hash. Usage errors exit 2 with a message.

export const CLIENTS_USAGE = `  admit clients create --name NAME [--redirect-uri URI]... [--public] [--admin | --organization ID --role KEY]
                                                  register an OAuth2 client (prints client_id and, once, client_secret)
  admit clients list                              registered clients (JSON, no secrets)
  admit clients delete ID                         delete a client (its tokens stop working)`;

function usage(message: string): number {
  process.stderr.write(`admit clients: ${message}\nusage:\n${CLIENTS_USAGE}\n`);
  return 2;
}

export async function runClients(config: Config, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (config.auth.mode !== 'builtin') return usage('only in built-in mode (AUTH_ISSUER is set)');
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (sub === 'create') {
    if (!values.name) return usage('--name is required');
    if ((values.organization === undefined) !== (values.role === undefined))
      return usage('--organization and --role go together');
  } else if (sub === 'delete') {
    if (positionals.length !== 1) return usage('delete takes one client ID');
  } else if (sub !== 'list') {
    return usage(sub ? `unknown command ${JSON.stringify(sub)}` : 'a command is required');
  }

  const rt = await openCore({ ...config, logLevel: 'silent' });
  try {
    const store = createClientsStore(rt.db);
    if (sub === 'list') {
      process.stdout.write(`${JSON.stringify((await store.list()).map(publicView), null, 2)}\n`);
      return 0;
    }
    if (sub === 'delete') {
      const id = positionals[0] as string;
      if (!(await store.delete(id))) {
        process.stderr.write(`admit clients: no client ${JSON.stringify(id)}\n`);
        return 1;
      }
      process.stdout.write(`${JSON.stringify({ deleted: id })}\n`);
      return 0;
    }
    try {
      const { record, secret } = await store.create(
        {
          name: values.name ?? '',
          redirectUris: values['redirect-uri'] ?? [],
          public: values.public ?? false,
          admin: values.admin ?? false,
          organization:
            values.organization && values.role
              ? { id: values.organization, roleKey: values.role }
              : undefined,
        },
        rt.clock.now(),
      );
      const out = { ...publicView(record), ...(secret ? { client_secret: secret } : {}) };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    } catch (err) {
      if (err instanceof ClientInputError) return usage(err.message);
      throw err;
    }
  } finally {
    await rt.close();
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean' },
      admin: { type: 'boolean' },
      organization: { type: 'string' },
      role: { type: 'string' },
    },
  });
}
