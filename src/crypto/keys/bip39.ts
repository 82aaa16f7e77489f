import { pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import { wordlist as spanish } from '@scure/bip39/wordlists/spanish.js';
import { wordlist as japanese } from '@scure/bip39/wordlists/japanese.js';
import { wordlist as simplifiedChinese } from '@scure/bip39/wordlists/simplified-chinese.js';
import { wordlist as traditionalChinese } from '@scure/bip39/wordlists/traditional-chinese.js';
import { sha256 } from '../hash.js';
import { KeyError } from './errors.js';

/**
 * BIP39 as the reference implements it (src/lib/bitcoin/wallet/mnemonic.cpp,
 * dictionary.cpp): the five built-in languages, 11 bits per word, ENT/32
 * checksum bits from SHA-256, seed = PBKDF2-HMAC-SHA512(words joined by
 * spaces, "mnemonic" + passphrase, 2048 rounds, 64 bytes).
 *
 * Normalization: the reference hashes the joined words as stored in its
 * dictionaries, which are the official BIP39 lists in NFKD form (the same
 * lists @scure/bip39 ships), and NFKD-normalizes the salt. Normalizing the
 * input to NFKD here gives the same bytes for words from the lists and also
 * accepts NFC input; an ideographic space (Japanese) becomes a plain space,
 * which is what the reference joins with.
 */

export type MnemonicLanguage = 'en' | 'es' | 'ja' | 'zh_Hans' | 'zh_Hant';

/** In the reference's order (dictionary.hpp `language::all`), which is also the order tried when no language is given. */
export const MNEMONIC_LANGUAGES: readonly MnemonicLanguage[] = ['en', 'es', 'ja', 'zh_Hans', 'zh_Hant'];

const WORDLISTS: Record<MnemonicLanguage, readonly string[]> = {
  en: english,
  es: spanish,
  ja: japanese,
  zh_Hans: simplifiedChinese,
  zh_Hant: traditionalChinese,
};

const BITS_PER_WORD = 11;
const WORDS_MULTIPLE = 3; // mnemonic_word_multiple: 33 bits = 32 entropy + 1 checksum bit
const ENTROPY_MULTIPLE = 4; // mnemonic_seed_multiple, bytes
/** Checksum bits come from one SHA-256, so at most 256 of them: entropy ≤ 1024 bytes. */
const MAX_ENTROPY_BYTES = 1024;
const MAX_WORDS = ((MAX_ENTROPY_BYTES * 8) / 32) * WORDS_MULTIPLE;
const PBKDF2_ROUNDS = 2048;
const SEED_BYTES = 64;
const SALT_PREFIX = 'mnemonic';
/** Generated mnemonics: 24 words from 256 bits of entropy, as the reference's getnewaccount. */
export const GENERATED_ENTROPY_BYTES = 32;

const indexCache = new Map<MnemonicLanguage, Map<string, number>>();

function wordIndex(language: MnemonicLanguage): Map<string, number> {
  let index = indexCache.get(language);
  if (!index) {
    index = new Map(WORDLISTS[language].map((w, i) => [w.normalize('NFKD'), i]));
    indexCache.set(language, index);
  }
  return index;
}

export function wordlist(language: MnemonicLanguage): readonly string[] {
  const list = WORDLISTS[language];
  if (!list) throw new KeyError('BAD_ENCODING', `unknown mnemonic language '${String(language)}'`);
  return list;
}

/** Words of a mnemonic given as text (any whitespace, incl. U+3000) or as a list, NFKD-normalized. */
export function splitMnemonic(mnemonic: string | readonly string[]): string[] {
  const text = typeof mnemonic === 'string' ? mnemonic : mnemonic.join(' ');
  return text
    .normalize('NFKD')
    .split(/\s+/u)
    .filter((w) => w.length > 0);
}

function checksumBits(entropy: Uint8Array): number {
  return (entropy.length * 8) / 32;
}

function getBit(data: Uint8Array, bit: number): number {
  return (data[bit >> 3] >> (7 - (bit & 7))) & 1;
}

/** The mnemonic of `entropy` (a multiple of 4 bytes), words joined by single spaces as the reference joins them. */
export function entropyToMnemonic(entropy: Uint8Array, language: MnemonicLanguage = 'en'): string {
  if (entropy.length === 0 || entropy.length % ENTROPY_MULTIPLE !== 0 || entropy.length > MAX_ENTROPY_BYTES) {
    throw new KeyError('BAD_LENGTH', `entropy must be a non-zero multiple of ${ENTROPY_MULTIPLE} bytes up to ${MAX_ENTROPY_BYTES}`);
  }
  const words = wordlist(language);
  const data = Buffer.concat([entropy, sha256(entropy)]);
  const totalBits = entropy.length * 8 + checksumBits(entropy);
  const out: string[] = [];
  for (let bit = 0; bit < totalBits; bit += BITS_PER_WORD) {
    let position = 0;
    for (let i = 0; i < BITS_PER_WORD; i++) position = (position << 1) | getBit(data, bit + i);
    out.push(words[position]);
  }
  return out.join(' ');
}

function decodeWith(words: readonly string[], language: MnemonicLanguage): Buffer | null {
  const index = wordIndex(language);
  const totalBits = words.length * BITS_PER_WORD;
  const checkBits = totalBits / 33;
  const entropyBits = totalBits - checkBits;
  const data = Buffer.alloc(Math.ceil(totalBits / 8));
  let bit = 0;
  for (const word of words) {
    const position = index.get(word);
    if (position === undefined) return null;
    for (let i = BITS_PER_WORD - 1; i >= 0; i--, bit++) {
      if ((position >> i) & 1) data[bit >> 3] |= 0x80 >> (bit & 7);
    }
  }
  const entropy = data.subarray(0, entropyBits / 8);
  const expected = sha256(entropy);
  for (let i = 0; i < checkBits; i++) {
    if (getBit(data, entropyBits + i) !== getBit(expected, i)) return null;
  }
  return Buffer.from(entropy);
}

/**
 * Entropy of a mnemonic, checking every word and the checksum (the
 * reference's validate_mnemonic). Without `language` each built-in list is
 * tried in the reference's order and the first that validates wins.
 * Fails with KeyError BAD_LENGTH, UNKNOWN_WORD or BAD_CHECKSUM.
 */
export function mnemonicToEntropy(
  mnemonic: string | readonly string[],
  language?: MnemonicLanguage,
): { entropy: Buffer; language: MnemonicLanguage } {
  const words = splitMnemonic(mnemonic);
  if (words.length === 0 || words.length % WORDS_MULTIPLE !== 0 || words.length > MAX_WORDS) {
    throw new KeyError('BAD_LENGTH', `a mnemonic has a non-zero multiple of ${WORDS_MULTIPLE} words, got ${words.length}`);
  }
  const candidates = language ? [language] : MNEMONIC_LANGUAGES;
  let allWordsKnown = false;
  for (const lang of candidates) {
    wordlist(lang);
    const index = wordIndex(lang);
    if (!words.every((w) => index.has(w))) continue;
    allWordsKnown = true;
    const entropy = decodeWith(words, lang);
    if (entropy) return { entropy, language: lang };
  }
  if (allWordsKnown) throw new KeyError('BAD_CHECKSUM', 'mnemonic checksum mismatch');
  throw new KeyError('UNKNOWN_WORD', language ? `mnemonic has words outside the '${language}' list` : 'mnemonic has words outside every wordlist');
}

export function validateMnemonic(mnemonic: string | readonly string[], language?: MnemonicLanguage): boolean {
  try {
    mnemonicToEntropy(mnemonic, language);
    return true;
  } catch {
    return false;
  }
}

function seedInputs(mnemonic: string | readonly string[], passphrase: string): { password: Buffer; salt: Buffer } {
  return {
    password: Buffer.from(splitMnemonic(mnemonic).join(' '), 'utf8'),
    salt: Buffer.from((SALT_PREFIX + passphrase).normalize('NFKD'), 'utf8'),
  };
}

/**
 * The 64-byte BIP39 seed. Like the reference's decode_mnemonic it does not
 * validate the words; call validateMnemonic first where that matters. The
 * node itself uses an empty passphrase.
 */
export function mnemonicToSeed(mnemonic: string | readonly string[], passphrase = ''): Buffer {
  const { password, salt } = seedInputs(mnemonic, passphrase);
  return pbkdf2Sync(password, salt, PBKDF2_ROUNDS, SEED_BYTES, 'sha512');
}

/** mnemonicToSeed on libuv's thread pool (2048 rounds take a few ms; keep them off the event loop in RPC paths). */
export function mnemonicToSeedAsync(mnemonic: string | readonly string[], passphrase = ''): Promise<Buffer> {
  const { password, salt } = seedInputs(mnemonic, passphrase);
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, PBKDF2_ROUNDS, SEED_BYTES, 'sha512', (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new 24-word mnemonic from 256 bits of CSPRNG entropy (or from `entropy` when given, for tests). */
export function generateMnemonic(language: MnemonicLanguage = 'en', entropy: Uint8Array = randomBytes(GENERATED_ENTROPY_BYTES)): string {
  return entropyToMnemonic(entropy, language);
}
