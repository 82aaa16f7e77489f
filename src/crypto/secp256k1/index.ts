import type { Secp256k1Backend } from './types.js';
import { nobleBackend } from './noble.js';
import { loadNativeBackend, type NativeLoadResult } from './native.js';
import { logger } from '../../util/logger.js';

export type { Secp256k1Backend } from './types.js';
export type BackendName = Secp256k1Backend['name'];
export { nobleBackend } from './noble.js';
export { CURVE_ORDER, HALF_CURVE_ORDER, isHighS, normalizeLowS, isValidScalar } from './scalar.js';
export { toStandardPublicKey } from './pubkey.js';
export { loadNativeBackend } from './native.js';
export { isStrictDerSignature, parseDerLax, compactToDer, splitEndorsement } from './der.js';
export { blockSignatureToCompact, compactToBlockSignature, verifyBlockSignature, signBlockHash } from './block-signature.js';

/** Environment variable forcing a backend: `noble` or `native`. */
export const BACKEND_ENV = 'MVS_SECP256K1';

let native: NativeLoadResult | undefined;
let defaultBackend: Secp256k1Backend | undefined;

function nativeResult(): NativeLoadResult {
  if (!native) native = loadNativeBackend();
  return native;
}

/** Why the native addon did not load (null when it did). */
export function nativeLoadError(): Error | null {
  return nativeResult().error;
}

/** The backends that work in this process: ['native', 'noble'] when the addon loads, else ['noble']. */
export function availableBackends(): BackendName[] {
  return nativeResult().backend ? ['native', 'noble'] : ['noble'];
}

/** One backend by name; asking for `native` when the addon did not load throws with the load error. */
export function getBackend(name: BackendName): Secp256k1Backend {
  if (name === 'noble') return nobleBackend;
  if (name === 'native') {
    const { backend, error } = nativeResult();
    if (backend) return backend;
    throw new Error(`native secp256k1 backend unavailable: ${error?.message ?? 'unknown error'}`);
  }
  throw new Error(`unknown secp256k1 backend '${String(name)}'`);
}

/**
 * Which backend the environment asks for: `MVS_SECP256K1=noble|native`
 * forces one (an unknown value or an unavailable native addon is an error, so
 * a misconfiguration never silently changes speed by 50x); otherwise native
 * when it loads, else noble.
 */
export function selectBackendName(env: NodeJS.ProcessEnv = process.env, nativeAvailable = nativeResult().backend !== null): BackendName {
  const forced = env[BACKEND_ENV]?.trim().toLowerCase();
  if (forced) {
    if (forced !== 'noble' && forced !== 'native') throw new Error(`${BACKEND_ENV} must be 'noble' or 'native', got '${forced}'`);
    if (forced === 'native' && !nativeAvailable) {
      throw new Error(`${BACKEND_ENV}=native but the addon did not load: ${nativeResult().error?.message ?? 'unavailable'}`);
    }
    return forced;
  }
  return nativeAvailable ? 'native' : 'noble';
}

/** The default backend of this process (chosen once; see selectBackendName). */
export function getSecp256k1(): Secp256k1Backend {
  if (!defaultBackend) {
    defaultBackend = getBackend(selectBackendName());
    const log = logger('crypto');
    if (defaultBackend.name === 'noble' && !process.env[BACKEND_ENV]) {
      log.warn({ reason: nativeLoadError()?.message }, 'native libsecp256k1 unavailable; using @noble/secp256k1 (about 50x slower verify)');
    } else {
      log.debug({ backend: defaultBackend.name }, 'secp256k1 backend selected');
    }
  }
  return defaultBackend;
}
