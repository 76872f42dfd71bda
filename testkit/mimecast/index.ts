/**
 * A local stand-in for the Mimecast API: API 1.0 (HMAC) and API 2.0 (OAuth client credentials), the
 * delegate endpoints, and injectable faults. It checks requests at least as strictly as we believe
 * Mimecast does, so a client that passes here is correct under the strictest reading of the docs.
 *
 * Choices where Mimecast's behaviour is unknown (error codes marked "sim" are this simulator's own):
 * - Item-level problems (bad or unknown address, unknown id) answer HTTP 200 with `fail[]`, as the
 *   envelope documents; a body that is not JSON or has no `data` array answers 400.
 * - Adding a pair that already exists answers success with the existing right's id (idempotent).
 * - Finding by an unknown address answers an empty list, not a failure. A right is listed when its
 *   grantee is searched (Mimecast's layout by default: `data[0].delegateUsers[]` with `emailAddress`,
 *   `name`, `id`, `source`; `setFindShape` switches to a variant some tenants return).
 * - Rights added through the API have source `API`; `grant()` makes one by hand (source `ADCON`).
 * - Addresses are compared and stored in lower case.
 *
 * The parts: server.ts (HTTP, routing, faults), auth.ts (HMAC signatures, OAuth tokens), delegates.ts
 * (the endpoints and the directory), replies.ts (Mimecast's answer envelope), cli.ts (`npm run
 * sim:mimecast`).
 */
import { Simulator } from './server.js';
import type { MimecastSimulator, MimecastSimulatorOptions } from './types.js';

export {
  FIND_SHAPES,
  type FindShape,
  MIMECAST_FIND_SHAPE,
  type MimecastSimulator,
  type MimecastSimulatorOptions,
  SIMULATOR_DEFAULT_CREDENTIALS,
  type SimulatedRight,
  type SimulatorCall,
  type SimulatorCredentials,
  type SimulatorFault,
  type SimulatorHmacCredentials,
  type SimulatorOAuthCredentials,
} from './types.js';

export async function startMimecastSimulator(
  options: MimecastSimulatorOptions = {},
): Promise<MimecastSimulator> {
  const simulator = new Simulator(options);
  await simulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return simulator;
}
