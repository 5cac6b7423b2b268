// The JavaScript original (lucia-auth 0.6.2 with @lucia-auth/adapter-kysely 0.5.0 on
// better-sqlite3) timing the reads that `benches/adapter.rs` times one at a time on SQLite, with
// the same data (10,000 users, each with a password key and two live sessions), the same SQLite
// settings (WAL, synchronous=NORMAL) and the same report: the median over the runs of each
// run's p50. Run with `npm ci && npm run bench -- [--runs N] [--ops N]` in this folder.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import lucia from "lucia-auth";
import kysely from "@lucia-auth/adapter-kysely";

const flag = (name, fallback) => {
	const at = process.argv.indexOf(name);
	return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const USERS = 10_000;
const WARMUP = 200;
const runs = flag("--runs", 3);
const ops = flag("--ops", 4000);

const file = join(tmpdir(), `lucia_js_bench_${process.pid}.db`);
const sqlite = new Database(file);
sqlite.pragma("journal_mode = WAL");
sqlite.pragma("synchronous = NORMAL");
// The adapter's documented SQLite DDL, as in ../../../../shared/fixtures/lucia-js/schema-sqlite.sql,
// with the indexes our migration adds, so that both sides read the same plans.
sqlite.exec(`
CREATE TABLE user (id VARCHAR(31) NOT NULL, PRIMARY KEY (id));
CREATE TABLE session (id VARCHAR(127) NOT NULL, user_id VARCHAR(36) NOT NULL,
  active_expires BIGINT NOT NULL, idle_expires BIGINT NOT NULL, PRIMARY KEY (id),
  FOREIGN KEY (user_id) REFERENCES user(id));
CREATE TABLE key (id VARCHAR(255) NOT NULL, user_id VARCHAR(36) NOT NULL,
  hashed_password VARCHAR(255), "primary" INT2 NOT NULL, PRIMARY KEY (id),
  FOREIGN KEY (user_id) REFERENCES user(id));
CREATE INDEX session_user_id ON session (user_id);
CREATE INDEX session_idle_expires ON session (idle_expires);
CREATE INDEX key_user_id ON key (user_id);
`);

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
const sessionId = () =>
	Array.from({ length: 40 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
const farFuture = Date.now() + 24 * 3600 * 1000;
const sessionIds = [];
const keyIds = [];
sqlite.transaction(() => {
	const user = sqlite.prepare("INSERT INTO user (id) VALUES (?)");
	const key = sqlite.prepare(
		`INSERT INTO key (id, user_id, hashed_password, "primary") VALUES (?, ?, ?, 1)`
	);
	const session = sqlite.prepare(
		"INSERT INTO session (id, user_id, active_expires, idle_expires) VALUES (?, ?, ?, ?)"
	);
	for (let i = 0; i < USERS; i++) {
		const userId = crypto.randomUUID();
		user.run(userId);
		key.run(`email:user${i}@example.com`, userId, "s2:salt:hash");
		keyIds.push(`user${i}@example.com`);
		for (let s = 0; s < 2; s++) {
			const id = sessionId();
			session.run(id, userId, farFuture, farFuture + 3600 * 1000);
			sessionIds.push(id);
		}
	}
})();
sqlite.exec("ANALYZE");

const auth = lucia({
	adapter: kysely(new Kysely({ dialect: new SqliteDialect({ database: sqlite }) }), "better-sqlite3"),
	env: "PROD",
	autoDatabaseCleanup: false
});
const adapter = auth.adapter;
const pick = (list) => list[Math.floor(Math.random() * list.length)];

const operations = {
	get_session_and_user: () => adapter.getSessionAndUserBySessionId(pick(sessionIds)),
	validate_session: () => auth.validateSession(pick(sessionIds)),
	get_key: () => auth.getKey("email", pick(keyIds))
};

const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

console.log(
	`lucia-auth 0.6.2 + @lucia-auth/adapter-kysely 0.5.0 on better-sqlite3 (WAL, synchronous=NORMAL), ` +
		`Node.js ${process.version}; ${USERS} users, ${ops} operations one at a time, ${runs} runs`
);
console.log("operation                 p50 µs (median of the runs)   runs");
for (const [name, run] of Object.entries(operations)) {
	const p50s = [];
	for (let r = 0; r < runs; r++) {
		for (let i = 0; i < WARMUP; i++) await run();
		const latencies = [];
		for (let i = 0; i < ops; i++) {
			const start = process.hrtime.bigint();
			const found = await run();
			latencies.push(Number(process.hrtime.bigint() - start) / 1000);
			if (!found) throw new Error(`${name}: a seeded row was not found`);
		}
		p50s.push(median(latencies));
	}
	console.log(
		`${name.padEnd(26)}${median(p50s).toFixed(1).padStart(8)}                     ${p50s.map((p) => p.toFixed(1)).join(", ")}`
	);
}
sqlite.close();
for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
