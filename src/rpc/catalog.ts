/**
 * The reference's command catalogue (mvs-rpc §2: the 75 commands registered in
 * mvs-org/metaverse: src/lib/explorer/extensions/command_extension_func.cpp,
 * their parameters from include/metaverse/explorer/extensions/commands/*.hpp,
 * and the 21 aliases of §2.1), as declarative parameter specs without
 * implementations. The node registers a method by attaching a handler:
 *
 *   registry.implement(METHOD_CATALOG.getheight, (args, node) => node.chain.height());
 *
 * so argv parsing, `-h` usage, `help` and docs/rpc.md all come from this one
 * table. `help` itself is built into the Registry.
 */
import type { MethodInfo } from './registry.js';
import type { OptionParam, PositionalParam } from './params.js';

const COIN = 100_000_000n;

// ---------------------------------------------------------------------------
// Shared parameter groups

function account(required = true): PositionalParam[] {
  return [
    { name: 'ACCOUNTNAME', required, description: 'Account name.' },
    { name: 'ACCOUNTAUTH', required, description: 'Account password/authorization.' },
  ];
}

const LASTWORD: PositionalParam = { name: 'LASTWORD', required: true, description: 'The last word of the account mnemonic.' };

/** Optional ADMINNAME ADMINAUTH, checked only when `administrator_required` (§1.6). */
const ADMIN: PositionalParam[] = [
  { name: 'ADMINNAME', description: 'Administrator account name (checked only when administrator_required is set).' },
  { name: 'ADMINAUTH', description: 'Administrator account password.' },
];

function pos(name: string, description: string, extra: Partial<PositionalParam> = {}): PositionalParam {
  return { name, required: true, description, ...extra };
}

function opt(long: string, short: string | undefined, description: string, extra: Partial<OptionParam> = {}): OptionParam {
  return { long, short, description, ...extra };
}

const FEE = (dflt: bigint = 10000n, what = 'Transaction fee in bits (1 ETP = 10^8 bits).'): OptionParam => opt('fee', 'f', what, { type: 'u64', default: dflt });

function info(name: string, category: string, summary: string, positional: PositionalParam[] = [], options: OptionParam[] = [], extra: Partial<MethodInfo> = {}): MethodInfo {
  return { name, category, summary, params: { positional, options }, ...extra };
}

// ---------------------------------------------------------------------------
// The table

export const METHOD_CATALOG = {
  // §2.3 Node / admin
  getinfo: info('getinfo', 'Node', 'Show node and chain information.', ADMIN, [], { adminOnly: true }),
  getpeerinfo: info('getpeerinfo', 'Node', 'List connected peers as "ip:port".', ADMIN, [], { adminOnly: true }),
  addnode: info(
    'addnode',
    'Node',
    'Add, ban or list peers, or reseed.',
    [pos('NODEADDRESS', 'The peer as ip:port (not needed for list and reseed).', { required: false }), ...ADMIN],
    [opt('operation', 'o', 'add | ban | peer | list | reseed (empty means add).', { default: '' })],
    { adminOnly: true },
  ),
  shutdown: info('shutdown', 'Node', 'Stop the node.', ADMIN, [], { adminOnly: true }),
  getrandom: info('getrandom', 'Node', 'A random number in [POINT1, POINT2] and its Keccak-256 hash.', [
    pos('POINT1', 'Lower bound.', { required: false, type: 'u64', default: 0n }),
    pos('POINT2', 'Upper bound.', { required: false, type: 'u64', default: (1n << 64n) - 1n }),
  ]),
  verifyrandom: info('verifyrandom', 'Node', 'Check that RANDOM_HASH is the hash of RANDOM_NUM.', [
    pos('RANDOM_HASH', 'The hash getrandom returned.'),
    pos('RANDOM_NUM', 'The number getrandom returned.'),
  ]),
  popblock: info('popblock', 'Node', 'Delete all blocks from the given height up (rewinds the chain).', [pos('height', 'First height to delete (> 0).', { type: 'u32' })]),

  // §2.4 Chain / block / transaction queries
  getheight: info('getheight', 'Chain', 'The height of the chain tip.', ADMIN, [], { aliases: ['fetch-height'], adminOnly: true }),
  getblockheader: info(
    'getblockheader',
    'Chain',
    'A block header by hash or height (the tip if neither is given).',
    [],
    [opt('hash', 's', 'Block hash.'), opt('height', 't', 'Block height.', { type: 'u32' })],
    { aliases: ['fetch-header', 'getbestblockheader', 'getbestblockhash'] },
  ),
  getblock: info('getblock', 'Chain', 'A block by hash or height.', [
    pos('HASH_OR_HEIGH', 'Block hash, or height (a string shorter than 18 characters).'),
    pos('json', 'JSON (true) or raw hex (false).', { required: false, type: 'bool', default: true }),
    pos('tx_json', 'Transactions as JSON (true) or hex (false).', { required: false, type: 'bool', default: true }),
  ]),
  fetchheaderext: info('fetchheaderext', 'Chain', 'A header by height, or earliest / latest / pending (the mining template).', [
    ...account(),
    pos('NUMBER', 'Height, earliest, latest or pending.'),
  ]),
  gettx: info(
    'gettx',
    'Chain',
    'A transaction by hash, with its height (0 = memory pool).',
    [pos('HASH', 'Transaction hash.'), pos('json', 'JSON (true) or raw hex (false).', { required: false, type: 'bool', default: true })],
    [],
    { aliases: ['gettransaction', 'fetch-tx'] },
  ),
  getmemorypool: info('getmemorypool', 'Chain', 'Transactions in the memory pool.', ADMIN, [opt('json', 'j', 'JSON (true) or raw hex (false).', { type: 'bool', default: true })], {
    adminOnly: true,
  }),
  listtxs: info(
    'listtxs',
    'Chain',
    'Transactions of an account or an address, paged.',
    account(false),
    [
      opt('address', 'a', 'Address or DID (then no account is needed).'),
      opt('height', 'e', 'Height range "from:to" (to excluded).'),
      opt('symbol', 's', 'Asset symbol.'),
      opt('limit', 'l', 'Page size (1..100).', { type: 'u64', default: 100n }),
      opt('index', 'i', 'Page number.', { type: 'u64', default: 1n }),
    ],
  ),
  validateaddress: info('validateaddress', 'Chain', 'Check an address and show its type.', [pos('PAYMENT_ADDRESS', 'The address.')]),

  // §2.5 Raw transactions
  createrawtx: info('createrawtx', 'Raw transactions', 'Build an unsigned transaction.', [], [
    opt('type', 't', 'Transaction type: 0 ETP, 3 asset.', { type: 'u16', required: true }),
    opt('senders', 's', 'Sending address or DID.', { list: true }),
    opt('utxos', 'u', 'Input "txhash:index[:sequence]".', { list: true }),
    opt('receivers', 'r', 'Receiver "address_or_did:amount".', { list: true, required: true }),
    opt('symbol', 'n', 'Asset symbol (type 3).'),
    opt('mychange', 'm', 'Change address.'),
    opt('message', 'i', 'Message to attach.'),
    opt('locktime', 'x', 'Transaction lock time.', { type: 'u32', default: 0 }),
    opt('putscript', 'p', 'Copy the previous output scripts into the inputs.', { flag: true }),
    FEE(),
    opt('utxominimumconfirmations', 'c', 'Minimum confirmations of spent outputs.', { type: 'u64', default: 3n }),
  ]),
  decoderawtx: info('decoderawtx', 'Raw transactions', 'Decode a raw transaction.', [pos('TRANSACTION', 'Transaction hex.')]),
  signrawtx: info(
    'signrawtx',
    'Raw transactions',
    'Sign a raw transaction with the account keys or the given keys.',
    [...account(), pos('TRANSACTION', 'Transaction hex.')],
    [opt('wif', 'w', 'Private key (WIF or hex); the account is then not checked.', { list: true }), opt('offline', 'o', 'Use the scripts already in the inputs as previous output scripts.', { flag: true })],
  ),
  sendrawtx: info('sendrawtx', 'Raw transactions', 'Validate and broadcast a signed transaction.', [pos('TRANSACTION', 'Transaction hex.')]),

  // §2.6 Accounts and wallet
  getnewaccount: info('getnewaccount', 'Accounts', 'Create an account (or, without name and password, a stateless key).', account(false), [
    opt('language', 'l', 'Mnemonic language: en, es, ja, zh_Hans, zh_Hant, any.', { default: 'en' }),
  ]),
  getaccount: info('getaccount', 'Accounts', 'Show an account and its mnemonic.', [...account(), LASTWORD]),
  deleteaccount: info('deleteaccount', 'Accounts', 'Delete an account and its addresses.', [...account(), LASTWORD]),
  importaccount: info(
    'importaccount',
    'Accounts',
    'Import an account from its mnemonic.',
    [pos('WORD', 'The mnemonic words.', { variadic: true })],
    [
      opt('accountname', 'n', 'Account name.', { required: true }),
      opt('password', 'p', 'Account password.', { required: true }),
      opt('language', 'l', 'Mnemonic language.', { default: 'en' }),
      opt('hd_index', 'i', 'Number of addresses to derive.', { type: 'u32', default: 1 }),
    ],
  ),
  changepasswd: info('changepasswd', 'Accounts', 'Change an account password.', account(), [opt('password', 'p', 'New password.', { required: true })]),
  getnewaddress: info('getnewaddress', 'Accounts', 'Derive new addresses.', account(), [opt('number', 'n', 'How many (1..2^20-1).', { type: 'u32', default: 1 })]),
  listaddresses: info('listaddresses', 'Accounts', 'List the addresses of an account.', account(), [opt('script', 's', 'Only imported script addresses.', { flag: true })]),
  dumpkeyfile: info(
    'dumpkeyfile',
    'Accounts',
    'Export the account as a keyfile.',
    [...account(), LASTWORD, pos('DESTINATION', 'File or directory to write.', { required: false })],
    [opt('data', 'd', 'Return the keyfile content instead of writing it.', { flag: true })],
    { aliases: ['exportaccountasfile'] },
  ),
  importkeyfile: info(
    'importkeyfile',
    'Accounts',
    'Import an account from a keyfile.',
    [...account(), pos('FILE', 'Keyfile path.'), pos('FILECONTENT', 'Keyfile content (wins when not empty).', { required: false })],
    [],
    { aliases: ['importaccountfromfile'] },
  ),
  importaddress: info('importaddress', 'Accounts', 'Watch a script address.', [...account(), pos('SCRIPT', 'Redeem script hex or P2SH address.')], [opt('description', 'd', 'Description.')]),

  // §2.7 ETP transfer and balances
  getbalance: info('getbalance', 'ETP', 'Balance of an account.', account()),
  listbalances: info('listbalances', 'ETP', 'Balances of every address of an account.', account(), [
    opt('nozero', 'n', 'Skip zero balances.', { flag: true }),
    opt('greater_equal', 'g', 'Only balances of at least this.', { type: 'u64', default: 0n }),
    opt('lesser_equal', 'l', 'Only balances of at most this.', { type: 'u64', default: 0n }),
    opt('deposited', 'd', 'Deposited (locked) balances.', { flag: true }),
  ]),
  getaddressetp: info(
    'getaddressetp',
    'ETP',
    'Balance of an address.',
    [pos('ADDRESS', 'Address or DID.')],
    [opt('utxo', 'u', 'List the unspent outputs.', { flag: true }), opt('range', 'r', 'Value range "a:b".'), opt('deposited', 'd', 'Deposited (locked) balances.', { flag: true })],
    { aliases: ['fetch-balance'] },
  ),
  send: info(
    'send',
    'ETP',
    'Send ETP from an account.',
    [...account(), pos('TO_', 'Receiver address or DID.'), pos('AMOUNT', 'Amount in bits.', { type: 'u64' })],
    [
      opt('change', 'c', 'Change address or DID.'),
      opt('memo', 'm', 'Message to attach.'),
      opt('locktime', 'x', 'Transaction lock time.', { type: 'u32', default: 0 }),
      opt('exclude', 'e', 'Skip outputs with a value in "a:b".'),
      FEE(),
    ],
    { aliases: ['didsend'] },
  ),
  sendfrom: info(
    'sendfrom',
    'ETP',
    'Send ETP from one address of an account.',
    [...account(), pos('FROM_', 'Sending address or DID.'), pos('TO_', 'Receiver address or DID.'), pos('AMOUNT', 'Amount in bits.', { type: 'u64' })],
    [
      opt('change', 'c', 'Change address or DID.'),
      opt('memo', 'm', 'Message to attach.'),
      opt('locktime', 'x', 'Transaction lock time.', { type: 'u32', default: 0 }),
      opt('exclude', 'e', 'Skip outputs with a value in "a:b".'),
      FEE(),
    ],
    { aliases: ['didsendfrom'] },
  ),
  sendmore: info(
    'sendmore',
    'ETP',
    'Send ETP to several receivers.',
    account(),
    [
      opt('receivers', 'r', 'Receiver "address_or_did:bits".', { list: true, required: true }),
      opt('mychange', 'm', 'Change address or DID.'),
      opt('from', 's', 'Sending address or DID.'),
      opt('memo', 'i', 'Message to attach.'),
      FEE(),
    ],
    { aliases: ['didsendmore'] },
  ),

  // §2.8 Deposit / lock
  lock: info(
    'lock',
    'ETP',
    'Lock ETP on a DID of the account with a relative (sequence) lock.',
    [...account(), pos('TO_', 'DID of the account.'), pos('AMOUNT', 'Amount in bits.', { type: 'u64' }), pos('SEQUENCE', 'Relative lock (BIP68 style).', { type: 'u32' })],
    [opt('from', 's', 'Sending address or DID.'), opt('change', 'c', 'Change address or DID.'), opt('memo', 'm', 'Message to attach.'), FEE()],
  ),
  getlocked: info(
    'getlocked',
    'ETP',
    'Locked balances of an address.',
    [pos('ADDRESS', 'Address or DID.')],
    [opt('expiration', 'e', 'Only locks expiring after this height.', { type: 'u64', default: 0n }), opt('stake', 'k', 'Stake summary.', { flag: true }), opt('range', 'r', 'Value range "a:b".')],
  ),

  // §2.9 Assets (MST)
  validatesymbol: info('validatesymbol', 'Assets', 'Check whether an asset, MIT, DID or cert symbol is available.', [...account(), pos('SYMBOL', 'The symbol.')], [opt('cert', 'c', 'Certificate type.')]),
  createasset: info('createasset', 'Assets', 'Create a local (unissued) asset.', account(), [
    opt('symbol', 's', 'Asset symbol.', { required: true }),
    opt('issuer', 'i', 'Issuer DID (owned by the account).', { required: true }),
    opt('volume', 'v', 'Maximum supply (> 0).', { type: 'u64', required: true }),
    opt('decimalnumber', 'n', 'Decimal places (at most 19).', { type: 'u32', default: 0 }),
    opt('rate', 'r', 'Secondary issue: 0 never, -1 freely, 1..100 percent held.', { type: 'i32', default: 0 }),
    opt('description', 'd', 'Description (at most 64 bytes).'),
  ]),
  deletelocalasset: info('deletelocalasset', 'Assets', 'Delete a local unissued asset.', account(), [opt('symbol', 's', 'Asset symbol.', { required: true })], { aliases: ['deleteasset'] }),
  issue: info('issue', 'Assets', 'Issue a created asset.', [...account(), pos('SYMBOL', 'Asset symbol.')], [
    opt('model', 'm', 'Attenuation model "TYPE=..;LQ=..;LP=..;UN=..[;UC=..;UQ=..]".'),
    opt('subsidy', 's', 'Asset mining subsidy parameters.'),
    FEE(10n * COIN, 'Issue fee in bits (at least 10 ETP).'),
    opt('percentage', 'p', 'Share of the fee paid to the miner (20..100).', { type: 'u32', default: 20 }),
  ]),
  secondaryissue: info(
    'secondaryissue',
    'Assets',
    'Issue more of an asset.',
    [...account(), pos('TODID', 'Receiver DID.'), pos('SYMBOL', 'Asset symbol.'), pos('VOLUME', 'Additional volume.', { type: 'u64' })],
    [opt('model', 'm', 'Attenuation model.'), opt('memo', 'i', 'Message to attach.'), FEE()],
    { aliases: ['additionalissue'] },
  ),
  sendasset: info(
    'sendasset',
    'Assets',
    'Send an asset from an account.',
    [...account(), pos('TO_', 'Receiver address or DID.'), pos('ASSET', 'Asset symbol.'), pos('AMOUNT', 'Amount.', { type: 'u64' })],
    [opt('change', 'c', 'Change address or DID.'), opt('model', 'm', 'Attenuation model.'), opt('memo', 'i', 'Message to attach.'), FEE()],
    { aliases: ['didsendasset'] },
  ),
  sendassetfrom: info(
    'sendassetfrom',
    'Assets',
    'Send an asset from one address of an account.',
    [...account(), pos('FROM_', 'Sending address or DID.'), pos('TO_', 'Receiver address or DID.'), pos('SYMBOL', 'Asset symbol.'), pos('AMOUNT', 'Amount.', { type: 'u64' })],
    [opt('change', 'c', 'Change address or DID.'), opt('model', 'm', 'Attenuation model.'), opt('memo', 'i', 'Message to attach.'), FEE()],
    { aliases: ['didsendassetfrom'] },
  ),
  sendmoreasset: info(
    'sendmoreasset',
    'Assets',
    'Send an asset to several receivers.',
    [...account(), pos('ASSET', 'Asset symbol.')],
    [
      opt('receivers', 'r', 'Receiver "address_or_did:amount".', { list: true, required: true }),
      opt('change', 'c', 'Change address or DID.'),
      opt('model', 'm', 'Attenuation model.'),
      opt('memo', 'i', 'Message to attach.'),
      FEE(),
    ],
    { aliases: ['sendassetmore'] },
  ),
  listassets: info('listassets', 'Assets', 'Issued assets, or the assets of an account.', account(false), [opt('cert', 'c', 'Certificates instead of assets.', { flag: true }), opt('type', 't', 'Certificate type.')]),
  getasset: info(
    'getasset',
    'Assets',
    'Asset symbols, or one asset.',
    [pos('SYMBOL', 'Asset symbol.', { required: false })],
    [opt('cert', 'c', 'Certificates instead of assets.', { flag: true }), opt('type', 't', 'Certificate type.'), opt('issuer', 'i', 'Issuer address or DID.')],
  ),
  getaccountasset: info(
    'getaccountasset',
    'Assets',
    'Asset balances of an account.',
    [...account(), pos('SYMBOL', 'Asset symbol.', { required: false })],
    [opt('cert', 'c', 'Certificates instead of assets.', { flag: true }), opt('type', 't', 'Certificate type.'), opt('deposited', 'd', 'Locked assets.', { flag: true })],
  ),
  getaddressasset: info('getaddressasset', 'Assets', 'Asset balances of an address.', [pos('ADDRESS', 'Address or DID.')], [
    opt('cert', 'c', 'Certificates instead of assets.', { flag: true }),
    opt('deposited', 'd', 'Locked assets.', { flag: true }),
    opt('utxo', 'u', 'List the unspent asset outputs.', { flag: true }),
    opt('range', 'r', 'Quantity range "a:b".'),
    opt('symbol', 's', 'Asset symbol.'),
    opt('utxominimumconfirmations', 'x', 'Minimum confirmations.', { type: 'u64', default: 3n }),
  ]),
  burn: info(
    'burn',
    'Assets',
    'Burn an asset, certificate or MIT (send it to the blackhole).',
    [...account(), pos('SYMBOL', 'Symbol.'), pos('AMOUNT', 'Amount.', { required: false, type: 'u64', default: 0n })],
    [opt('cert', 'c', 'Burn this certificate type.'), opt('mit', 'm', 'Burn an MIT.', { flag: true })],
  ),
  swaptoken: info(
    'swaptoken',
    'Assets',
    'Swap an asset to an Ethereum address.',
    [...account(), pos('TO_', 'Swap service address or DID.'), pos('SYMBOL', 'Asset symbol.'), pos('AMOUNT', 'Amount.', { type: 'u64' }), pos('FOREIGN_ADDR', 'Ethereum address.')],
    [
      opt('change', 'c', 'Change address or DID.'),
      opt('from', 'd', 'Sending address or DID.'),
      opt('memo', 'm', 'Message to attach.'),
      opt('swapfee', 's', 'Swap fee in bits (at least 1 ETP).', { type: 'u64', default: COIN }),
      FEE(),
    ],
  ),

  // §2.10 Certificates
  issuecert: info(
    'issuecert',
    'Certificates',
    'Issue a naming, marriage, KYC or witness certificate.',
    [...account(), pos('TODID', 'Receiver DID.'), pos('SYMBOL', 'Symbol.'), pos('CERT', 'Certificate type.')],
    [opt('description', 'd', 'Description.'), opt('memo', 'm', 'Message to attach.'), FEE()],
  ),
  transfercert: info('transfercert', 'Certificates', 'Transfer a certificate.', [...account(), pos('TODID', 'Receiver DID.'), pos('SYMBOL', 'Symbol.'), pos('CERT', 'Certificate type.')], [FEE()]),

  // §2.11 MIT
  registermit: info(
    'registermit',
    'MIT',
    'Register MITs (unique tokens).',
    [...account(), pos('TODID', 'Receiver DID.'), pos('SYMBOL', 'MIT symbol.', { required: false })],
    [opt('content', 'c', 'Content.'), opt('mits', 'm', '"SYMBOL:content" to register several.', { list: true }), FEE()],
  ),
  transfermit: info('transfermit', 'MIT', 'Transfer an MIT.', [...account(), pos('TODID', 'Receiver DID.'), pos('SYMBOL', 'MIT symbol.')], [opt('memo', 'm', 'Message to attach.'), FEE()]),
  listmits: info('listmits', 'MIT', 'All MITs, or those of an account.', account(false)),
  getmit: info(
    'getmit',
    'MIT',
    'MIT symbols, one MIT, or its history.',
    [pos('SYMBOL', 'MIT symbol.', { required: false })],
    [
      opt('trace', 't', 'Show the history.', { flag: true }),
      opt('limit', 'l', 'Page size (at most 100).', { type: 'u32', default: 100 }),
      opt('index', 'i', 'Page number.', { type: 'u32', default: 1 }),
      opt('current', 'c', 'Current state only.', { flag: true }),
    ],
  ),

  // §2.12 DID
  registerdid: info(
    'registerdid',
    'DID',
    'Register a DID on an address of the account.',
    [...account(), pos('ADDRESS', 'Address.'), pos('SYMBOL', 'DID symbol.')],
    [FEE(COIN, 'Fee in bits (at least 1 ETP).'), opt('percentage', 'p', 'Share of the fee paid to the miner.', { type: 'u32', default: 20 })],
  ),
  didchangeaddress: info('didchangeaddress', 'DID', 'Move a DID to another address.', [...account(), pos('TOADDRESS', 'New address.'), pos('DIDSYMBOL', 'DID symbol.')], [FEE()]),
  listdids: info('listdids', 'DID', 'All DIDs, or those of an account, paged.', account(false), [
    opt('limit', 'l', 'Page size (at most 100).', { type: 'u64', default: 100n }),
    opt('index', 'i', 'Page number.', { type: 'u64', default: 1n }),
  ]),
  getdid: info('getdid', 'DID', 'DID symbols, or the addresses of a DID.', [pos('DID_OR_ADDRESS', 'DID symbol or address.', { required: false })]),

  // §2.13 Multisig
  getpublickey: info('getpublickey', 'Multisig', 'The public key of an address of the account (or of a given key).', [...account(), pos('ADDRESS', 'Address, DID, WIF, hex secret or public key.')], [
    opt('did', undefined, 'Interpret ADDRESS as a DID.', { flag: true }),
  ]),
  getnewmultisig: info('getnewmultisig', 'Multisig', 'Create a multisig address.', account(), [
    opt('signaturenum', 'm', 'Signatures required.', { type: 'u16', required: true }),
    opt('publickeynum', 'n', 'Number of public keys (1..20).', { type: 'u16', required: true }),
    opt('selfpublickey', 's', 'Own public key (of the account).', { required: true }),
    opt('publickey', 'k', 'Cosigner public key.', { list: true }),
    opt('description', 'd', 'Description.'),
  ]),
  listmultisig: info('listmultisig', 'Multisig', 'Multisig addresses of an account.', account()),
  deletemultisig: info('deletemultisig', 'Multisig', 'Delete a multisig address.', [...account(), pos('ADDRESS', 'Multisig address.')]),
  createmultisigtx: info(
    'createmultisigtx',
    'Multisig',
    'Create a transaction from a multisig address, signed by this account.',
    [...account(), pos('FROMADDRESS', 'Multisig address of the account.'), pos('TOADDRESS', 'Receiver address or DID.'), pos('AMOUNT', 'Amount.', { type: 'u64' })],
    [opt('type', 't', '0 ETP, 3 asset.', { type: 'u16', default: 0 }), opt('symbol', 's', 'Asset symbol.'), FEE()],
  ),
  signmultisigtx: info(
    'signmultisigtx',
    'Multisig',
    'Add this account’s signature to a multisig transaction.',
    [...account(), pos('TRANSACTION', 'Transaction hex.')],
    [opt('selfpublickey', 's', 'Own public key.'), opt('broadcast', 'b', 'Broadcast when complete.', { flag: true })],
  ),

  // §2.14 Mining / staking
  startmining: info(
    'startmining',
    'Mining',
    'Start the built-in miner.',
    account(),
    [
      opt('address', 'a', 'Payout address or DID of the account (empty: a new address).'),
      opt('number', 'n', 'Stop after this many blocks (0 = unlimited).', { type: 'u16', default: 0 }),
      opt('symbol', 's', 'Also mine this asset.'),
      opt('consensus', 'c', 'pow | pos | dpos.', { default: 'pow' }),
    ],
    { aliases: ['start'] },
  ),
  stopmining: info('stopmining', 'Mining', 'Stop the built-in miner.', ADMIN, [], { aliases: ['stop'], adminOnly: true }),
  getmininginfo: info('getmininginfo', 'Mining', 'Mining status.', ADMIN, [], { adminOnly: true }),
  getstakeinfo: info('getstakeinfo', 'Mining', 'Stake outputs of an address.', [pos('ADDRESS', 'Address or DID.')]),
  setminingaccount: info('setminingaccount', 'Mining', 'Set the payout address for getwork mining.', [...account(), pos('PAYMENT_ADDRESS', 'Address or DID of the account.')], [opt('symbol', 's', 'Also mine this asset.')]),
  getwork: info('getwork', 'Mining', 'The current work package: [header hash, seed hash, boundary].', ADMIN, [], { aliases: ['eth_getWork'], adminOnly: true }),
  submitwork: info(
    'submitwork',
    'Mining',
    'Submit a solution: true when the block was accepted.',
    [pos('NONCE', 'Nonce, "0x" + 16 hex digits (v3 requires the 0x).'), pos('HEADERHASH', 'Header hash of the work package.'), pos('MIXHASH', 'Mix digest.')],
    [],
    { aliases: ['eth_submitWork'] },
  ),
  registerwitness: info('registerwitness', 'Mining', 'Register a DID as a DPoS witness.', [...account(), pos('DID', 'DID of the account.')]),

  /**
   * Not in the reference (there it is 1020): answered `true` so ethminer's
   * hashrate reports do not fail (mvs-rpc §3, a deliberate deviation).
   */
  eth_submitHashrate: info('eth_submitHashrate', 'Mining', 'Accept a miner’s hashrate report (extension; mvsd does not have it).', [
    pos('HASHRATE', 'Hashrate, hex.', { required: false }),
    pos('CLIENTID', 'Client id, hex.', { required: false }),
  ]),

  /** Regtest only, not in the reference: mine blocks now (the functional tests and devnet use it). */
  generate: info('generate', 'Mining', 'Regtest only: mine NUMBER blocks now, paying ADDRESS (default: the mining address), and return their hashes (extension).', [
    pos('NUMBER', 'Blocks to mine (1..10000).', { type: 'u32' }),
    pos('ADDRESS', 'Payout address.', { required: false }),
  ]),
} satisfies Record<string, MethodInfo>;

export type CatalogMethod = keyof typeof METHOD_CATALOG;

/** Canonical names of the reference's 75 commands (the extension above excluded). */
export const REFERENCE_COMMANDS: readonly string[] = Object.keys(METHOD_CATALOG).filter((n) => n !== 'eth_submitHashrate' && n !== 'generate');
