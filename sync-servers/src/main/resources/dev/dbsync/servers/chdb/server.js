'use strict';
// A small stand-in for the ClickHouse HTTP interface, for the demo and integration tests on machines
// without Docker or a ClickHouse install. The SQL engine is the real one: chdb embeds
// ClickHouse as a library. This file only speaks the part of the HTTP protocol that
// com.clickhouse:client-v2 uses:
//
//   GET/HEAD /ping (and /)          -> "Ok.\n"
//   POST /?query=...  + body        -> query text in the URL, body appended (INSERT data)
//   POST /            + body        -> query text (and INSERT data) in the body
//   param_<name>=<value>            -> server-side substitution of {name:Type}
//   default_format / X-ClickHouse-Format request header -> output format
//   database / X-ClickHouse-Database                    -> current database
//   other URL parameters            -> ClickHouse settings, applied to that query only
//   Content-Encoding: gzip|deflate|br|zstd|lz4|xz|bz2   -> request body decompressed
//   decompress=1                    -> request body in ClickHouse's LZ4 block framing
//   compress=1 or enable_http_compression=1 with Accept-Encoding -> gzip response
//
// Usage: node server.js [--port N] [--data DIR] [--exit-on-stdin-close]
//   (or env CHDB_HTTP_PORT, CHDB_DATA_DIR). Port 0 picks a free port. Once listening it
//   prints one line "LISTENING port=<n>" on stdout.
//
// Deliberate limits: one engine session shared by every request (no per-session state,
// no authentication: any user/password is accepted), queries run strictly one at a time,
// no native TCP port, no progress headers, no cancellation of a running query.

const http = require('http');
const os = require('os');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const zlib = require('zlib');
const { Session } = require('chdb');

// Parameter binding needs the raw parameter text as received over HTTP (it is already in
// ClickHouse's escaped text form). Session.queryBindAsync re-escapes JS strings, which
// would corrupt values such as "['a\'b']", so the addon's bound-query entry is used.
const native = require(path.join(path.dirname(require.resolve('chdb')), 'dist', 'loader.js')).loadNative();

// ---------------------------------------------------------------- arguments

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}
const port = Number(argValue('--port') ?? process.env.CHDB_HTTP_PORT ?? 8123);
const dataDir = path.resolve(argValue('--data') ?? process.env.CHDB_DATA_DIR ?? path.join(os.tmpdir(), 'chdb-http-data'));
const debug = process.env.CHDB_HTTP_DEBUG === '1';

fs.mkdirSync(dataDir, { recursive: true });
// Request bodies are handed to the engine as files (see runInsert); they live here.
const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chdb-http-'));

const session = new Session(dataDir);

// ---------------------------------------------------------------- serial execution

// The engine runs one statement at a time per session, and the per-query SET/USE below
// must not interleave with another request's: every request's engine work goes through
// this one chain.
let chain = Promise.resolve();
function serialized(work) {
  const run = chain.then(work);
  chain = run.then(() => {}, () => {});
  return run;
}

// ---------------------------------------------------------------- protocol details

// URL parameters that belong to the HTTP interface itself; every other parameter
// (except param_*) is a ClickHouse setting for the query.
const HTTP_ONLY_PARAMS = new Set([
  'query', 'query_id', 'database', 'default_format', 'compress', 'decompress',
  'enable_http_compression', 'user', 'password', 'quota_key', 'session_id', 'session_timeout',
  'session_check', 'buffer_size', 'wait_end_of_query', 'role', 'stacktrace',
  'client_protocol_version', 'http_native_compression_disable_checksumming_on_decompress',
]);

// The server answers some error codes with a 4xx status instead of 500; clients only
// look at "status >= 400" plus X-ClickHouse-Exception-Code, so a short list suffices.
const HTTP_STATUS_BY_CODE = new Map([
  [62, 400], // SYNTAX_ERROR
  [46, 404], [47, 404], [60, 404], [81, 404], // UNKNOWN_FUNCTION/_IDENTIFIER/_TABLE/_DATABASE
  [516, 401], // AUTHENTICATION_FAILED
]);

const BINARY_FORMATS = /^(RowBinary|Native|Parquet|Arrow|ORC|Avro|Protobuf|CapnProto|MsgPack|BSONEachRow|RawBLOB)/i;

const CONTENT_ENCODINGS = new Set(['gzip', 'deflate', 'br', 'zstd', 'lz4', 'xz', 'bz2', 'snappy']);

function sqlString(s) {
  return "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

class HttpError extends Error {
  constructor(code, message) {
    super(`Code: ${code}. DB::Exception: ${message}`);
    this.clickhouseCode = code;
  }
}

// Decoder for an LZ4 block (the format inside ClickHouse's compressed frames).
// A sequence is: token (literal length << 4 | match length - 4), literals, 2-byte offset,
// match; lengths of 15 continue in following bytes; the last sequence has literals only.
function lz4DecodeBlock(src, dst) {
  let s = 0;
  let d = 0;
  while (s < src.length) {
    const token = src[s++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b;
      do { b = src[s++]; literals += b; } while (b === 255);
    }
    src.copy(dst, d, s, s + literals);
    s += literals;
    d += literals;
    if (s >= src.length) break;
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    let len = token & 15;
    if (len === 15) {
      let b;
      do { b = src[s++]; len += b; } while (b === 255);
    }
    len += 4;
    // byte by byte on purpose: a match may overlap the bytes it produces
    for (let i = 0; i < len; i++, d++) dst[d] = dst[d - offset];
  }
  return d;
}

// decompress=1: the body is a sequence of ClickHouse compressed frames:
// 16-byte checksum, method byte, UInt32 size of (header + payload), UInt32 raw size, payload.
// The checksum (CityHash128) is not verified: the transport here is the loopback device.
function decodeClickHouseFrames(body) {
  const parts = [];
  let p = 0;
  while (p < body.length) {
    if (body.length - p < 25) throw new HttpError(432, 'Truncated compressed frame header');
    const method = body[p + 16];
    const frameSize = body.readUInt32LE(p + 17);
    const rawSize = body.readUInt32LE(p + 21);
    const payload = body.subarray(p + 25, p + 16 + frameSize);
    if (method === 0x82) {
      const out = Buffer.allocUnsafe(rawSize);
      if (lz4DecodeBlock(payload, out) !== rawSize) throw new HttpError(271, 'Cannot decompress LZ4 frame');
      parts.push(out);
    } else if (method === 0x02) {
      parts.push(payload);
    } else {
      throw new HttpError(432, `Unsupported compression method 0x${method.toString(16)} (only LZ4 and NONE)`);
    }
    p += 16 + frameSize;
  }
  return Buffer.concat(parts);
}

// HTTP Content-Encoding of a request body: the engine decompresses it (it knows every
// method ClickHouse accepts), reading the body from a spool file as one RawBLOB value.
async function decodeContentEncoding(body, encoding) {
  const file = spoolFile();
  fs.writeFileSync(file, body);
  try {
    const r = await session.queryAsync(
      `SELECT raw FROM file(${sqlString(file)}, 'RawBLOB', 'raw String', ${sqlString(encoding)})`,
      { format: 'RawBLOB' });
    return Buffer.from(r.bytes());
  } finally {
    fs.rmSync(file, { force: true });
  }
}

let spoolCounter = 0;
function spoolFile() {
  return path.join(spoolDir, `body-${process.pid}-${++spoolCounter}`);
}

// INSERT ... FORMAT <name> followed by data. The data starts after the first newline
// that follows the format name, or after the whitespace if there is no newline; this is
// the server's own rule, and it matters because binary data may begin with 0x0A or 0x20.
// Only the statement head is decoded as text (latin1 keeps byte offsets exact).
const INSERT_HEAD = /^\s*INSERT\s+INTO\s[\s\S]*?\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)/i;

function splitInsert(full) {
  const head = full.subarray(0, Math.min(full.length, 1 << 16)).toString('latin1');
  const m = INSERT_HEAD.exec(head);
  if (!m) return null;
  let p = m.index + m[0].length;
  while (p < full.length && (full[p] === 0x20 || full[p] === 0x09 || full[p] === 0x0d)) p++;
  if (p < full.length && full[p] === 0x0a) p++;
  let statement = head.slice(m.index, m.index + m[0].length - m[1].length).replace(/\bFORMAT\s+$/i, '');
  // "INSERT INTO t SETTINGS k=v FORMAT f" cannot be combined with FROM INFILE by the
  // parser, so such settings join the URL settings instead.
  const settings = {};
  const s = /\bSETTINGS\b([\s\S]*)$/i.exec(statement);
  if (s) {
    statement = statement.slice(0, s.index);
    for (const pair of s[1].split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) settings[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim().replace(/^'(.*)'$/, '$1');
    }
  }
  return { statement: Buffer.from(statement, 'latin1').toString('utf8').trim(), format: m[1], data: full.subarray(p), settings };
}

// The engine's inline INSERT data path is text-oriented (a blank line ends the data), so
// the data goes through a file: INSERT INTO t [(cols)] FROM INFILE 'spool' FORMAT f.
// The table's own schema then drives the parser, exactly as for data sent inline.
async function runInsert(insert) {
  const file = spoolFile();
  fs.writeFileSync(file, insert.data);
  try {
    const r = await session.queryAsync(`${insert.statement} FROM INFILE ${sqlString(file)} FORMAT ${insert.format}`,
      { format: 'TabSeparated' });
    return { bytes: Buffer.alloc(0), written: r.rowsRead, writtenBytes: r.bytesRead, elapsed: r.elapsed };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function runQuery(sql, format, params) {
  const r = Object.keys(params).length > 0
    ? await native.QueryAsyncConnection(session.connection, sql, format, params)
    : await native.QueryAsyncConnection(session.connection, sql, format);
  return { bytes: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength), rows: r.rowsRead,
    rowBytes: r.bytesRead, elapsed: r.elapsed };
}

// Settings and database apply to this request only: set before, reset after.
async function withContext(settings, database, work) {
  const names = Object.keys(settings);
  const useDb = database && database !== 'default';
  try {
    // inside the try: a SET that fails half way is still reset below
    if (names.length > 0) {
      await session.queryAsync('SET ' + names.map((n) => `${n} = ${sqlString(settings[n])}`).join(', '));
    }
    if (useDb) await session.queryAsync(`USE ${'`' + database.replace(/`/g, '``') + '`'}`);
    return await work();
  } finally {
    if (useDb) await session.queryAsync('USE default').catch(() => {});
    if (names.length > 0) {
      await session.queryAsync('SET ' + names.map((n) => `${n} = DEFAULT`).join(', ')).catch(() => {});
    }
  }
}

// ---------------------------------------------------------------- request handling

let serverTimezone = 'UTC';

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function baseHeaders(queryId) {
  return {
    'X-ClickHouse-Server-Display-Name': os.hostname(),
    'X-ClickHouse-Query-Id': queryId,
    'X-ClickHouse-Timezone': serverTimezone,
  };
}

function wantsCompression(url, req) {
  if (url.searchParams.get('compress') === '1') return true;
  return url.searchParams.get('enable_http_compression') === '1' && Boolean(req.headers['accept-encoding']);
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if ((req.method === 'GET' || req.method === 'HEAD') && (url.pathname === '/ping' || url.pathname === '/')
      && !url.searchParams.has('query')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': 4 });
    res.end(req.method === 'HEAD' ? undefined : 'Ok.\n');
    return;
  }
  const queryId = url.searchParams.get('query_id') || crypto.randomUUID();
  let body = await readBody(req);
  try {
    const result = await serialized(async () => {
      const encoding = (req.headers['content-encoding'] || '').toLowerCase();
      if (body.length > 0 && encoding && encoding !== 'identity') {
        if (!CONTENT_ENCODINGS.has(encoding)) throw new HttpError(1, `Unknown Content-Encoding: ${encoding}`);
        body = await decodeContentEncoding(body, encoding);
      }
      if (body.length > 0 && url.searchParams.get('decompress') === '1') body = decodeClickHouseFrames(body);

      // With the query in the URL the body continues it (typically with INSERT data).
      const queryParam = url.searchParams.get('query');
      const full = queryParam !== null ? Buffer.concat([Buffer.from(queryParam + '\n'), body]) : body;
      if (full.length === 0) throw new HttpError(62, 'Empty query');

      const settings = {};
      const params = {};
      for (const [k, v] of url.searchParams) {
        if (k.startsWith('param_')) params[k.slice(6)] = v;
        else if (!HTTP_ONLY_PARAMS.has(k)) settings[k] = v;
      }
      const database = url.searchParams.get('database') || req.headers['x-clickhouse-database'];
      const insert = splitInsert(full);
      if (debug) {
        const what = insert ? `${insert.statement} FORMAT ${insert.format} <${insert.data.length} bytes>`
          : full.toString('utf8').slice(0, 500);
        const flags = [...url.searchParams.keys()].filter((k) => k !== 'query').join(',');
        process.stderr.write(`[${queryId}] ${what} [${flags}${encoding ? ' encoding=' + encoding : ''}]\n`);
      }
      if (insert) {
        return withContext({ ...settings, ...insert.settings }, database, () => runInsert(insert));
      }
      const sql = full.toString('utf8').replace(/[\s;]+$/, '');
      const own = /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)$/i.exec(sql);
      const format = url.searchParams.get('default_format') || req.headers['x-clickhouse-format'] || 'TabSeparated';
      const r = await withContext(settings, database, () => runQuery(sql, format, params));
      r.format = own ? own[1] : format;
      return r;
    });

    const headers = baseHeaders(queryId);
    headers['X-ClickHouse-Summary'] = JSON.stringify({
      read_rows: String(result.rows ?? 0), read_bytes: String(result.rowBytes ?? 0),
      written_rows: String(result.written ?? 0), written_bytes: String(result.writtenBytes ?? 0),
      total_rows_to_read: String(result.rows ?? 0), result_rows: String(result.rows ?? 0),
      result_bytes: String(result.bytes.length), elapsed_ns: String(Math.round((result.elapsed ?? 0) * 1e9)),
    });
    if (result.format) {
      headers['X-ClickHouse-Format'] = result.format;
      headers['Content-Type'] = BINARY_FORMATS.test(result.format)
        ? 'application/octet-stream' : 'text/plain; charset=UTF-8';
    }
    let out = result.bytes;
    if (wantsCompression(url, req)) {
      // A real server answers compress=1 with its own LZ4 frames (CityHash128-checked).
      // HTTP gzip is used instead: client-v2 decodes by Content-Encoding before it looks
      // for those frames, so its default (compressed) responses work unchanged.
      out = zlib.gzipSync(out, { level: 1 });
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = out.length;
    res.writeHead(200, headers);
    res.end(out);
  } catch (e) {
    sendError(res, queryId, e);
  }
}

function sendError(res, queryId, e) {
  let code = e.clickhouseCode;
  let text = String(e.message || e);
  const m = /^Code: (\d+)\./.exec(text);
  if (m) code = Number(m[1]);
  else text = `Code: ${code ?? 1001}. DB::Exception: ${text}`;
  code = code ?? 1001;
  const headers = baseHeaders(queryId);
  headers['X-ClickHouse-Exception-Code'] = String(code);
  headers['Content-Type'] = 'text/plain; charset=UTF-8';
  const body = Buffer.from(text.trimEnd() + '\n');
  headers['Content-Length'] = body.length;
  if (debug) process.stderr.write(`[${queryId}] error ${text}\n`);
  if (!res.headersSent) res.writeHead(HTTP_STATUS_BY_CODE.get(code) ?? 500, headers);
  res.end(body);
}

// ---------------------------------------------------------------- start and stop

function shutdown() {
  try { session.close(); } catch (_) { /* exiting anyway */ }
  fs.rmSync(spoolDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (process.argv.includes('--exit-on-stdin-close')) {
  // The parent holds our stdin open; when it dies, however abruptly, stdin ends.
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

(async () => {
  const tz = await session.queryAsync('SELECT timezone()', { format: 'TabSeparated' });
  serverTimezone = tz.text().trim();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => sendError(res, 'unknown', e));
  });
  server.keepAliveTimeout = 30000;
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`LISTENING port=${server.address().port}\n`);
  });
})().catch((e) => {
  process.stderr.write(`chdb HTTP front end failed to start: ${e && e.stack || e}\n`);
  process.exit(1);
});
