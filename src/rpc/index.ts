/**
 * The RPC layer's public surface: registry and catalogue, HTTP JSON-RPC
 * server, websocket push service, formatters, errors, BigInt-safe JSON and
 * the mvsd-compatible argv parser (see docs/rpc.md, docs/websocket.md).
 */
export { Registry, type MethodDefinition, type MethodInfo, type MethodHandler, type MethodArgs, type CallMeta, type RegisteredMethod } from './registry.js';
export { METHOD_CATALOG, REFERENCE_COMMANDS, type CatalogMethod } from './catalog.js';
export { RpcServer, startRpcServer, apiVersionOfPath, readRequestId, type RpcServerOptions } from './server.js';
export { WsPushServer, startWsPushServer, type WsPushOptions } from './ws.js';
export {
  formatTransaction,
  formatBlock,
  formatHeader,
  formatInput,
  formatOutput,
  formatAttachment,
  inputAddress,
  outputAddress,
  transactionAddresses,
  attenuationModelParam,
  exactInteger,
  type FormatContext,
} from './format.js';
export { RpcError, RPC_ERROR_CODES, rpcError, toRpcError, type RpcErrorName } from './errors.js';
export { parseJson, stringifyJson, JsonSyntaxError, type JsonValue, type JsonObject } from './json.js';
export { parseArgv, jsonToArgv, usageText, HELP_OPTION, type ParamSpec, type OptionParam, type PositionalParam, type ArgValue, type ApiVersion, type ValueType } from './params.js';
