import { RpcError, RPC_ERROR_CODES, type RpcErrorName } from '../rpc/errors.js';

/**
 * Wallet failures carry the reference's explorer_exception codes (mvs-rpc
 * §1.5; include/metaverse/explorer/extensions/exception.hpp), so the RPC layer
 * forwards them unchanged and programmatic callers can branch on `code`.
 * Messages follow the reference's texts where it has one. They never contain a
 * password, a mnemonic or a private key.
 */
export class WalletError extends RpcError {
  constructor(code: number, message: string) {
    super(code, message);
    this.name = 'WalletError';
  }
}

export function walletError(name: RpcErrorName, message: string): WalletError {
  return new WalletError(RPC_ERROR_CODES[name], message);
}

/**
 * The reference answers an unknown account and a wrong password with the same
 * std::logic_error (code 1000) so a caller cannot tell which one it was
 * (block_chain_impl::is_account_passwd_valid).
 */
export const BAD_CREDENTIALS = 'account not found or incorrect password';

export function badCredentials(): WalletError {
  return walletError('generic', BAD_CREDENTIALS);
}

export function isWalletError(err: unknown): err is WalletError {
  return err instanceof WalletError;
}
