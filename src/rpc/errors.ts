/**
 * RPC errors with the reference's codes (mvs-rpc §1.5; mvs-org/metaverse:
 * include/metaverse/explorer/extensions/exception.hpp). The HTTP layer turns
 * any RpcError into its code and message; any other thrown value becomes the
 * generic 1000 with its text, exactly as mvsd maps a non-explorer C++
 * exception (src/mvsd/mgbubble/HttpServ.cpp).
 */
export class RpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
  }
}

/** Code of every reference exception, by the reference's name (§1.5). */
export const RPC_ERROR_CODES = {
  jsonrpc_parse_error: -32700,
  jsonrpc_invalid_request: -32600,
  jsonrpc_method_not_found: -32601,
  jsonrpc_invalid_params: -32602,
  jsonrpc_internal_error: -32603,
  unknown_error: 500,
  generic: 1000,
  fatal: 1001,
  connection: 1011,
  session_expired: 1012,
  invalid_command: 1020,
  command_params: 1021,
  command_platform_compat: 1022,
  ui_invoke_explorer: 1023,
  setting_required: 1024,
  block_sync_required: 1025,
  argument_exceed_limit: 2001,
  argument_size_invalid: 2002,
  argument_legality: 2003,
  argument_dismatch: 2004,
  account_existed: 3001,
  account_authority: 3002,
  account_notfound: 3003,
  account_name: 3201,
  account_length: 3202,
  account_address_get: 3203,
  account_deposit_period: 3301,
  account_balance_lack: 3302,
  address_list_empty: 4001,
  address_list_nullptr: 4002,
  address_dismatch_account: 4003,
  address_amount: 4004,
  address_notfound: 4005,
  address_generate: 4005,
  address_invalid: 4010,
  toaddress_empty: 4011,
  toaddress_invalid: 4012,
  toaddress_unrecognized: 4013,
  fromaddress_empty: 4014,
  fromaddress_invalid: 4015,
  fromaddress_unrecognized: 4016,
  address_not_bound_did: 4017,
  asset_lack: 5001,
  asset_amount: 5002,
  asset_notfound: 5003,
  asset_type: 5004,
  asset_exchange_poundage: 5005,
  asset_issue_poundage: 5006,
  asset_description_length: 5007,
  asset_symbol_duplicate: 5008,
  asset_symbol_existed: 5009,
  asset_symbol_notfound: 5010,
  asset_symbol_length: 5011,
  asset_symbol_name: 5012,
  asset_issued_not_delete: 5013,
  asset_delete_fail: 5014,
  asset_secondaryissue_threshold: 5015,
  asset_attenuation_model: 5016,
  asset_cert: 5017,
  asset_cert_existed: 5018,
  asset_cert_notfound: 5019,
  asset_cert_notowned: 5020,
  asset_cert_domain: 5021,
  asset_cert_secondary_witness_full: 5022,
  asset_mining_subsidy_parameter: 5023,
  etp_lack: 5051,
  block_height_get: 5101,
  block_last_height_get: 5102,
  block_height: 5103,
  block_hash_get: 5104,
  block_header_get: 5105,
  multisig_cosigne: 5201,
  multisig_exist: 5202,
  multisig_notfound: 5203,
  multisig_script: 5204,
  multisig_index: 5205,
  signature_amount: 5220,
  pubkey_amount: 5230,
  pubkey_dismatch: 5231,
  prikey_notfound: 5232,
  pubkey_notfound: 5233,
  tx_io: 5301,
  tx_source: 5302,
  tx_sign: 5303,
  tx_validate: 5304,
  tx_broadcast: 5305,
  tx_notfound: 5306,
  tx_attachment_value: 5307,
  tx_fetch: 5308,
  tx_send: 5309,
  tx_encode_get: 5310,
  tx_decode_get: 5311,
  tx_timestamp: 5312,
  tx_locktime: 5313,
  tx_lock_sequence: 5314,
  utxo_fetch: 5401,
  redeem_script_empty: 5501,
  redeem_script_data: 5502,
  redeem_script_pattern: 5503,
  encode: 6001,
  ec_to_address: 6002,
  ec_to_public: 6003,
  did_symbol_name: 7001,
  did_symbol_existed: 7002,
  did_symbol_length: 7003,
  did_description_length: 7004,
  did_register_poundage: 7005,
  did_symbol_notfound: 7006,
  did_symbol_duplicate: 7007,
  did_address_needed: 7008,
  did_symbol_notowned: 7009,
  did_multisig_address: 7010,
  seed: 9001,
  seed_size: 9001,
  seed_length: 9002,
  hd_length: 9101,
  hd_key: 9102,
  hd_new: 9103,
  hd_private_new: 9104,
  hd_to_ec: 9105,
  mnemonicwords_amount: 9201,
  mnemonicwords_content: 9202,
  mnemonicwords_new: 9203,
  mnemonicwords_to_seed: 9204,
  mnemonicwords_dismatch: 9205,
  mnemonicwords_empty: 9206,
  mnemonicwords_existed: 9207,
  /** Websocket push service (§1.7). */
  ws_bad_request: 1000001,
  ws_syncing: 1000002,
} as const;

export type RpcErrorName = keyof typeof RPC_ERROR_CODES;

/** An RpcError by the reference's exception name: `rpcError('argument_legality', 'amount must not be 0')`. */
export function rpcError(name: RpcErrorName, message: string): RpcError {
  return new RpcError(RPC_ERROR_CODES[name], message);
}

// Constructors for the envelope and dispatcher errors the framework raises
// itself. Texts of the JSON-RPC ones are the JSON-RPC 2.0 standard texts.

export function parseError(detail?: string): RpcError {
  return new RpcError(-32700, detail ? `Parse error: ${detail}` : 'Parse error');
}

export function invalidRequest(detail?: string): RpcError {
  return new RpcError(-32600, detail ? `Invalid Request: ${detail}` : 'Invalid Request');
}

export function invalidParams(detail?: string): RpcError {
  return new RpcError(-32602, detail ? `Invalid params: ${detail}` : 'Invalid params');
}

/** 1020 for a method that is not registered, with mvsd's exact text. */
export function unknownCommand(method: string): RpcError {
  return new RpcError(1020, `'${method}' is not a command. Enter 'help' for a list of commands.`);
}

/** 1021: argv parse failure; `message` is boost::program_options' text (§1.3). */
export function commandParams(message: string): RpcError {
  return new RpcError(1021, message);
}

export function generic(message: string): RpcError {
  return new RpcError(1000, message);
}

/** Any thrown value as an RpcError: non-RpcErrors become 1000 with their message. */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof Error) return new RpcError(1000, err.message || err.name);
  if (typeof err === 'string') return new RpcError(1000, err);
  return new RpcError(1000, 'unknown error');
}
