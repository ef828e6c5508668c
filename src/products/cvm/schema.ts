// The CVM tables. Columns hold what queries filter and sort on, and what changes often; `doc` holds the
// rest of the Instance object as JSON.
import type { Migration } from "../../store/migrations.js";

export const CVM_MIGRATIONS: readonly Migration[] = [
  {
    id: "cvm/1",
    description: "CVM instances, default networks, client tokens",
    sql: `
      CREATE TABLE cvm_vpcs (
        account_uin TEXT NOT NULL,
        region      TEXT NOT NULL,
        vpc_id      TEXT NOT NULL,
        cidr        TEXT NOT NULL,
        is_default  INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (account_uin, region, vpc_id)
      );
      CREATE TABLE cvm_subnets (
        account_uin TEXT NOT NULL,
        region      TEXT NOT NULL,
        subnet_id   TEXT NOT NULL,
        vpc_id      TEXT NOT NULL,
        zone        TEXT NOT NULL,
        cidr        TEXT NOT NULL,
        is_default  INTEGER NOT NULL,
        next_host   INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (account_uin, region, subnet_id)
      );
      CREATE TABLE cvm_security_groups (
        account_uin TEXT NOT NULL,
        region      TEXT NOT NULL,
        sg_id       TEXT NOT NULL,
        name        TEXT NOT NULL,
        is_default  INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (account_uin, region, sg_id)
      );
      CREATE TABLE cvm_instances (
        account_uin     TEXT NOT NULL,
        region          TEXT NOT NULL,
        instance_id     TEXT NOT NULL,
        uuid            TEXT NOT NULL,
        zone            TEXT NOT NULL,
        project_id      INTEGER NOT NULL,
        instance_type   TEXT NOT NULL,
        instance_name   TEXT NOT NULL,
        charge_type     TEXT NOT NULL,
        image_id        TEXT NOT NULL,
        state           TEXT NOT NULL,
        -- A transition under way: the state it reaches at pending_at ('DELETED' removes the row).
        pending_state   TEXT,
        pending_at      INTEGER,
        latest_operation            TEXT,
        latest_operation_state      TEXT,
        latest_operation_request_id TEXT,
        vpc_id          TEXT NOT NULL,
        subnet_id       TEXT NOT NULL,
        private_ip      TEXT NOT NULL,
        public_ip       TEXT,
        created_at      INTEGER NOT NULL,
        expired_at      INTEGER,
        doc             TEXT NOT NULL,
        -- The Instance object as DescribeInstances answers it, as UTF-8 JSON, less the fields settle() changes.
        view            BLOB NOT NULL,
        PRIMARY KEY (account_uin, region, instance_id)
      );
      -- Listing order is creation order; the rowid after created_at keeps a batch in the order it was made.
      CREATE INDEX cvm_instances_listing ON cvm_instances(account_uin, region, created_at);
      CREATE INDEX cvm_instances_pending ON cvm_instances(account_uin, region, pending_at) WHERE pending_at IS NOT NULL;
      CREATE INDEX cvm_instances_quota ON cvm_instances(account_uin, region, zone, charge_type);
      CREATE UNIQUE INDEX cvm_instances_private_ip ON cvm_instances(account_uin, region, subnet_id, private_ip);
      -- Instances per account and region, kept by triggers: an unfiltered listing counts in constant time.
      CREATE TABLE cvm_instance_counts (
        account_uin TEXT NOT NULL,
        region      TEXT NOT NULL,
        n           INTEGER NOT NULL,
        PRIMARY KEY (account_uin, region)
      );
      CREATE TRIGGER cvm_instances_counted_in AFTER INSERT ON cvm_instances BEGIN
        INSERT INTO cvm_instance_counts (account_uin, region, n) VALUES (NEW.account_uin, NEW.region, 1)
          ON CONFLICT (account_uin, region) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER cvm_instances_counted_out AFTER DELETE ON cvm_instances BEGIN
        UPDATE cvm_instance_counts SET n = n - 1 WHERE account_uin = OLD.account_uin AND region = OLD.region;
      END;
      CREATE TABLE cvm_client_tokens (
        account_uin  TEXT NOT NULL,
        region       TEXT NOT NULL,
        client_token TEXT NOT NULL,
        instance_ids TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (account_uin, region, client_token)
      );
      CREATE TABLE cvm_public_ips (
        region  TEXT PRIMARY KEY,
        next_ip INTEGER NOT NULL
      );
    `,
    postgres: `
      CREATE TABLE cvm_vpcs (
        account_uin TEXT COLLATE "C" NOT NULL,
        region      TEXT COLLATE "C" NOT NULL,
        vpc_id      TEXT COLLATE "C" NOT NULL,
        cidr        TEXT COLLATE "C" NOT NULL,
        is_default  INTEGER NOT NULL,
        created_at  BIGINT NOT NULL,
        PRIMARY KEY (account_uin, region, vpc_id)
      );
      CREATE TABLE cvm_subnets (
        account_uin TEXT COLLATE "C" NOT NULL,
        region      TEXT COLLATE "C" NOT NULL,
        subnet_id   TEXT COLLATE "C" NOT NULL,
        vpc_id      TEXT COLLATE "C" NOT NULL,
        zone        TEXT COLLATE "C" NOT NULL,
        cidr        TEXT COLLATE "C" NOT NULL,
        is_default  INTEGER NOT NULL,
        next_host   BIGINT NOT NULL,
        created_at  BIGINT NOT NULL,
        PRIMARY KEY (account_uin, region, subnet_id)
      );
      CREATE TABLE cvm_security_groups (
        account_uin TEXT COLLATE "C" NOT NULL,
        region      TEXT COLLATE "C" NOT NULL,
        sg_id       TEXT COLLATE "C" NOT NULL,
        name        TEXT COLLATE "C" NOT NULL,
        is_default  INTEGER NOT NULL,
        created_at  BIGINT NOT NULL,
        PRIMARY KEY (account_uin, region, sg_id)
      );
      CREATE TABLE cvm_instances (
        account_uin     TEXT COLLATE "C" NOT NULL,
        region          TEXT COLLATE "C" NOT NULL,
        instance_id     TEXT COLLATE "C" NOT NULL,
        uuid            TEXT COLLATE "C" NOT NULL,
        zone            TEXT COLLATE "C" NOT NULL,
        project_id      BIGINT NOT NULL,
        instance_type   TEXT COLLATE "C" NOT NULL,
        instance_name   TEXT COLLATE "C" NOT NULL,
        charge_type     TEXT COLLATE "C" NOT NULL,
        image_id        TEXT COLLATE "C" NOT NULL,
        state           TEXT COLLATE "C" NOT NULL,
        pending_state   TEXT COLLATE "C",
        pending_at      BIGINT,
        latest_operation            TEXT COLLATE "C",
        latest_operation_state      TEXT COLLATE "C",
        latest_operation_request_id TEXT COLLATE "C",
        vpc_id          TEXT COLLATE "C" NOT NULL,
        subnet_id       TEXT COLLATE "C" NOT NULL,
        private_ip      TEXT COLLATE "C" NOT NULL,
        public_ip       TEXT COLLATE "C",
        created_at      BIGINT NOT NULL,
        expired_at      BIGINT,
        doc             TEXT COLLATE "C" NOT NULL,
        view            BYTEA NOT NULL,
        PRIMARY KEY (account_uin, region, instance_id)
      );
      CREATE INDEX cvm_instances_listing ON cvm_instances(account_uin, region, created_at);
      CREATE INDEX cvm_instances_pending ON cvm_instances(account_uin, region, pending_at) WHERE pending_at IS NOT NULL;
      CREATE INDEX cvm_instances_quota ON cvm_instances(account_uin, region, zone, charge_type);
      CREATE UNIQUE INDEX cvm_instances_private_ip ON cvm_instances(account_uin, region, subnet_id, private_ip);
      CREATE TABLE cvm_instance_counts (
        account_uin TEXT COLLATE "C" NOT NULL,
        region      TEXT COLLATE "C" NOT NULL,
        n           BIGINT NOT NULL,
        PRIMARY KEY (account_uin, region)
      );
      -- One upsert or update of the account's row per instance written: atomic under concurrent writers.
      CREATE FUNCTION cvm_instances_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO cvm_instance_counts AS c (account_uin, region, n) VALUES (NEW.account_uin, NEW.region, 1)
            ON CONFLICT (account_uin, region) DO UPDATE SET n = c.n + 1;
        ELSE
          UPDATE cvm_instance_counts SET n = n - 1 WHERE account_uin = OLD.account_uin AND region = OLD.region;
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER cvm_instances_counted_in AFTER INSERT ON cvm_instances FOR EACH ROW EXECUTE FUNCTION cvm_instances_count();
      CREATE TRIGGER cvm_instances_counted_out AFTER DELETE ON cvm_instances FOR EACH ROW EXECUTE FUNCTION cvm_instances_count();
      CREATE TABLE cvm_client_tokens (
        account_uin  TEXT COLLATE "C" NOT NULL,
        region       TEXT COLLATE "C" NOT NULL,
        client_token TEXT COLLATE "C" NOT NULL,
        instance_ids TEXT COLLATE "C" NOT NULL,
        created_at   BIGINT NOT NULL,
        PRIMARY KEY (account_uin, region, client_token)
      );
      CREATE TABLE cvm_public_ips (
        region  TEXT COLLATE "C" PRIMARY KEY,
        next_ip BIGINT NOT NULL
      );
    `,
  },
  {
    id: "cvm/2",
    description: "instances get a creation sequence and a view version, and a listing index that covers a page",
    // SQLite cannot add a primary key to a table or index its implicit rowid, so the table is rebuilt with
    // the rowid made a column (seq), keeping every row's rowid, and its indexes and triggers are made again.
    sql: `
      CREATE TABLE cvm_instances_v2 (
        -- Creation order (the former rowid): a batch lists in the order it was made.
        seq             INTEGER PRIMARY KEY,
        account_uin     TEXT NOT NULL,
        region          TEXT NOT NULL,
        instance_id     TEXT NOT NULL,
        uuid            TEXT NOT NULL,
        zone            TEXT NOT NULL,
        project_id      INTEGER NOT NULL,
        instance_type   TEXT NOT NULL,
        instance_name   TEXT NOT NULL,
        charge_type     TEXT NOT NULL,
        image_id        TEXT NOT NULL,
        state           TEXT NOT NULL,
        pending_state   TEXT,
        pending_at      INTEGER,
        latest_operation            TEXT,
        latest_operation_state      TEXT,
        latest_operation_request_id TEXT,
        vpc_id          TEXT NOT NULL,
        subnet_id       TEXT NOT NULL,
        private_ip      TEXT NOT NULL,
        public_ip       TEXT,
        created_at      INTEGER NOT NULL,
        expired_at      INTEGER,
        doc             TEXT NOT NULL,
        view            BLOB NOT NULL,
        -- A new value whenever view is written (0 for views written before it existed): a copy of the
        -- view kept in memory is current exactly when its version is the row's.
        view_version    INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account_uin, region, instance_id)
      );
      INSERT INTO cvm_instances_v2 (
          seq, account_uin, region, instance_id, uuid, zone, project_id, instance_type, instance_name, charge_type,
          image_id, state, pending_state, pending_at, latest_operation, latest_operation_state, latest_operation_request_id,
          vpc_id, subnet_id, private_ip, public_ip, created_at, expired_at, doc, view)
        SELECT
          rowid, account_uin, region, instance_id, uuid, zone, project_id, instance_type, instance_name, charge_type,
          image_id, state, pending_state, pending_at, latest_operation, latest_operation_state, latest_operation_request_id,
          vpc_id, subnet_id, private_ip, public_ip, created_at, expired_at, doc, view
        FROM cvm_instances;
      DROP TABLE cvm_instances;
      ALTER TABLE cvm_instances_v2 RENAME TO cvm_instances;
      -- The listing order, then what a page shows besides the stored view: an unfiltered page is read from
      -- this index alone, so its cost does not grow with the number of instances stored.
      CREATE INDEX cvm_instances_listing ON cvm_instances(account_uin, region, created_at, seq, view_version, state, latest_operation_state);
      CREATE INDEX cvm_instances_pending ON cvm_instances(account_uin, region, pending_at) WHERE pending_at IS NOT NULL;
      CREATE INDEX cvm_instances_quota ON cvm_instances(account_uin, region, zone, charge_type);
      CREATE UNIQUE INDEX cvm_instances_private_ip ON cvm_instances(account_uin, region, subnet_id, private_ip);
      CREATE TRIGGER cvm_instances_counted_in AFTER INSERT ON cvm_instances BEGIN
        INSERT INTO cvm_instance_counts (account_uin, region, n) VALUES (NEW.account_uin, NEW.region, 1)
          ON CONFLICT (account_uin, region) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER cvm_instances_counted_out AFTER DELETE ON cvm_instances BEGIN
        UPDATE cvm_instance_counts SET n = n - 1 WHERE account_uin = OLD.account_uin AND region = OLD.region;
      END;
    `,
    postgres: `
      CREATE TABLE cvm_instances_v2 (
        -- Creation order: the identity assigns it on insert, increasing, global across accounts.
        seq             BIGINT GENERATED BY DEFAULT AS IDENTITY,
        account_uin     TEXT COLLATE "C" NOT NULL,
        region          TEXT COLLATE "C" NOT NULL,
        instance_id     TEXT COLLATE "C" NOT NULL,
        uuid            TEXT COLLATE "C" NOT NULL,
        zone            TEXT COLLATE "C" NOT NULL,
        project_id      BIGINT NOT NULL,
        instance_type   TEXT COLLATE "C" NOT NULL,
        instance_name   TEXT COLLATE "C" NOT NULL,
        charge_type     TEXT COLLATE "C" NOT NULL,
        image_id        TEXT COLLATE "C" NOT NULL,
        state           TEXT COLLATE "C" NOT NULL,
        pending_state   TEXT COLLATE "C",
        pending_at      BIGINT,
        latest_operation            TEXT COLLATE "C",
        latest_operation_state      TEXT COLLATE "C",
        latest_operation_request_id TEXT COLLATE "C",
        vpc_id          TEXT COLLATE "C" NOT NULL,
        subnet_id       TEXT COLLATE "C" NOT NULL,
        private_ip      TEXT COLLATE "C" NOT NULL,
        public_ip       TEXT COLLATE "C",
        created_at      BIGINT NOT NULL,
        expired_at      BIGINT,
        doc             TEXT COLLATE "C" NOT NULL,
        view            BYTEA NOT NULL,
        view_version    BIGINT NOT NULL DEFAULT 0,
        CONSTRAINT cvm_instances_v2_pkey PRIMARY KEY (seq),
        CONSTRAINT cvm_instances_v2_instance_key UNIQUE (account_uin, region, instance_id)
      );
      -- PostgreSQL has no rowid: the rows get their seq in creation order.
      INSERT INTO cvm_instances_v2 (
          account_uin, region, instance_id, uuid, zone, project_id, instance_type, instance_name, charge_type,
          image_id, state, pending_state, pending_at, latest_operation, latest_operation_state, latest_operation_request_id,
          vpc_id, subnet_id, private_ip, public_ip, created_at, expired_at, doc, view)
        SELECT
          account_uin, region, instance_id, uuid, zone, project_id, instance_type, instance_name, charge_type,
          image_id, state, pending_state, pending_at, latest_operation, latest_operation_state, latest_operation_request_id,
          vpc_id, subnet_id, private_ip, public_ip, created_at, expired_at, doc, view
        FROM cvm_instances ORDER BY created_at, ctid;
      DROP TABLE cvm_instances;
      ALTER TABLE cvm_instances_v2 RENAME TO cvm_instances;
      ALTER TABLE cvm_instances RENAME CONSTRAINT cvm_instances_v2_pkey TO cvm_instances_pkey;
      ALTER TABLE cvm_instances RENAME CONSTRAINT cvm_instances_v2_instance_key TO cvm_instances_instance_key;
      ALTER SEQUENCE cvm_instances_v2_seq_seq RENAME TO cvm_instances_seq_seq;
      -- The listing order, then (INCLUDE) what a page shows besides the stored view: an index-only scan.
      CREATE INDEX cvm_instances_listing ON cvm_instances(account_uin, region, created_at, seq) INCLUDE (view_version, state, latest_operation_state);
      CREATE INDEX cvm_instances_pending ON cvm_instances(account_uin, region, pending_at) WHERE pending_at IS NOT NULL;
      CREATE INDEX cvm_instances_quota ON cvm_instances(account_uin, region, zone, charge_type);
      CREATE UNIQUE INDEX cvm_instances_private_ip ON cvm_instances(account_uin, region, subnet_id, private_ip);
      CREATE TRIGGER cvm_instances_counted_in AFTER INSERT ON cvm_instances FOR EACH ROW EXECUTE FUNCTION cvm_instances_count();
      CREATE TRIGGER cvm_instances_counted_out AFTER DELETE ON cvm_instances FOR EACH ROW EXECUTE FUNCTION cvm_instances_count();
    `,
  },
  {
    id: "cvm/3",
    description: "instance counts per facet, a change version per account and region, and a listing index that also covers the facets",
    // TotalCount of a page filtered by zone, state, charge type, project, VPC or subnet is the sum of a few
    // facet rows, not a count over the matching instances; and such a page is read from the listing index
    // alone. The version changes whenever an instance enters, leaves or moves between facets, so a position
    // remembered for a filtered listing is known to be still exact.
    sql: `
      CREATE TABLE cvm_instance_facets (
        account_uin TEXT NOT NULL,
        region      TEXT NOT NULL,
        zone        TEXT NOT NULL,
        state       TEXT NOT NULL,
        charge_type TEXT NOT NULL,
        project_id  INTEGER NOT NULL,
        vpc_id      TEXT NOT NULL,
        subnet_id   TEXT NOT NULL,
        n           INTEGER NOT NULL,
        PRIMARY KEY (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id)
      ) WITHOUT ROWID;
      INSERT INTO cvm_instance_facets (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, n)
        SELECT account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, COUNT(*) FROM cvm_instances GROUP BY account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id;
      ALTER TABLE cvm_instance_counts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
      CREATE TRIGGER cvm_instances_facet_in AFTER INSERT ON cvm_instances BEGIN
        INSERT INTO cvm_instance_facets (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, n) VALUES (NEW.account_uin, NEW.region, NEW.zone, NEW.state, NEW.charge_type, NEW.project_id, NEW.vpc_id, NEW.subnet_id, 1)
          ON CONFLICT DO UPDATE SET n = n + 1;
        UPDATE cvm_instance_counts SET version = version + 1 WHERE account_uin = NEW.account_uin AND region = NEW.region;
      END;
      CREATE TRIGGER cvm_instances_facet_out AFTER DELETE ON cvm_instances BEGIN
        UPDATE cvm_instance_facets SET n = n - 1 WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id;
        DELETE FROM cvm_instance_facets WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id AND n <= 0;
        UPDATE cvm_instance_counts SET version = version + 1 WHERE account_uin = OLD.account_uin AND region = OLD.region;
      END;
      CREATE TRIGGER cvm_instances_facet_move AFTER UPDATE OF zone, state, charge_type, project_id, vpc_id, subnet_id ON cvm_instances
        WHEN OLD.zone IS NOT NEW.zone OR OLD.state IS NOT NEW.state OR OLD.charge_type IS NOT NEW.charge_type OR OLD.project_id IS NOT NEW.project_id OR OLD.vpc_id IS NOT NEW.vpc_id OR OLD.subnet_id IS NOT NEW.subnet_id
      BEGIN
        UPDATE cvm_instance_facets SET n = n - 1 WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id;
        DELETE FROM cvm_instance_facets WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id AND n <= 0;
        INSERT INTO cvm_instance_facets (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, n) VALUES (NEW.account_uin, NEW.region, NEW.zone, NEW.state, NEW.charge_type, NEW.project_id, NEW.vpc_id, NEW.subnet_id, 1)
          ON CONFLICT DO UPDATE SET n = n + 1;
        UPDATE cvm_instance_counts SET version = version + 1 WHERE account_uin = NEW.account_uin AND region = NEW.region;
      END;
      -- For a filter that matches few instances, the listing index would be scanned far to fill a page: such
      -- pages are found through these (zone through cvm_instances_quota, subnet through cvm_instances_private_ip).
      CREATE INDEX cvm_instances_state ON cvm_instances(account_uin, region, state);
      CREATE INDEX cvm_instances_vpc ON cvm_instances(account_uin, region, vpc_id);
      CREATE INDEX cvm_instances_project ON cvm_instances(account_uin, region, project_id);
      DROP INDEX cvm_instances_listing;
      CREATE INDEX cvm_instances_listing ON cvm_instances(account_uin, region, created_at, seq, view_version, state, latest_operation_state, zone, charge_type, project_id, vpc_id, subnet_id);
    `,
    postgres: `
      CREATE TABLE cvm_instance_facets (
        account_uin TEXT COLLATE "C" NOT NULL,
        region      TEXT COLLATE "C" NOT NULL,
        zone        TEXT COLLATE "C" NOT NULL,
        state       TEXT COLLATE "C" NOT NULL,
        charge_type TEXT COLLATE "C" NOT NULL,
        project_id  BIGINT NOT NULL,
        vpc_id      TEXT COLLATE "C" NOT NULL,
        subnet_id   TEXT COLLATE "C" NOT NULL,
        n           BIGINT NOT NULL,
        PRIMARY KEY (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id)
      );
      INSERT INTO cvm_instance_facets (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, n)
        SELECT account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, COUNT(*) FROM cvm_instances GROUP BY account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id;
      ALTER TABLE cvm_instance_counts ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
      -- SQLite's counted_in/out and facet_in/out in one function. The account's count row is written first, so
      -- concurrent writers of one account and region queue on it before they touch any facet row (no
      -- deadlock between them); facet rows are upserted, decremented in place, and deleted when n reaches 0
      -- (as in SQLite), all under their row locks: no read-then-write.
      CREATE OR REPLACE FUNCTION cvm_instances_count() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        remaining bigint;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO cvm_instance_counts AS c (account_uin, region, n, version) VALUES (NEW.account_uin, NEW.region, 1, 1)
            ON CONFLICT (account_uin, region) DO UPDATE SET n = c.n + 1, version = c.version + 1;
          INSERT INTO cvm_instance_facets AS f (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, n)
            VALUES (NEW.account_uin, NEW.region, NEW.zone, NEW.state, NEW.charge_type, NEW.project_id, NEW.vpc_id, NEW.subnet_id, 1)
            ON CONFLICT (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id) DO UPDATE SET n = f.n + 1;
        ELSE
          UPDATE cvm_instance_counts SET n = n - 1, version = version + 1 WHERE account_uin = OLD.account_uin AND region = OLD.region;
          UPDATE cvm_instance_facets SET n = n - 1
            WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id
            RETURNING n INTO remaining;
          IF remaining <= 0 THEN
            DELETE FROM cvm_instance_facets
              WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id AND n <= 0;
          END IF;
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION cvm_instances_facet_move() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        remaining bigint;
      BEGIN
        UPDATE cvm_instance_counts SET version = version + 1 WHERE account_uin = NEW.account_uin AND region = NEW.region;
        UPDATE cvm_instance_facets SET n = n - 1
          WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id
          RETURNING n INTO remaining;
        IF remaining <= 0 THEN
          DELETE FROM cvm_instance_facets
            WHERE account_uin = OLD.account_uin AND region = OLD.region AND zone = OLD.zone AND state = OLD.state AND charge_type = OLD.charge_type AND project_id = OLD.project_id AND vpc_id = OLD.vpc_id AND subnet_id = OLD.subnet_id AND n <= 0;
        END IF;
        INSERT INTO cvm_instance_facets AS f (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id, n)
          VALUES (NEW.account_uin, NEW.region, NEW.zone, NEW.state, NEW.charge_type, NEW.project_id, NEW.vpc_id, NEW.subnet_id, 1)
          ON CONFLICT (account_uin, region, zone, state, charge_type, project_id, vpc_id, subnet_id) DO UPDATE SET n = f.n + 1;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER cvm_instances_facet_move AFTER UPDATE OF zone, state, charge_type, project_id, vpc_id, subnet_id ON cvm_instances FOR EACH ROW
        WHEN (OLD.zone IS DISTINCT FROM NEW.zone OR OLD.state IS DISTINCT FROM NEW.state OR OLD.charge_type IS DISTINCT FROM NEW.charge_type OR OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.vpc_id IS DISTINCT FROM NEW.vpc_id OR OLD.subnet_id IS DISTINCT FROM NEW.subnet_id)
        EXECUTE FUNCTION cvm_instances_facet_move();
      CREATE INDEX cvm_instances_state ON cvm_instances(account_uin, region, state);
      CREATE INDEX cvm_instances_vpc ON cvm_instances(account_uin, region, vpc_id);
      CREATE INDEX cvm_instances_project ON cvm_instances(account_uin, region, project_id);
      DROP INDEX cvm_instances_listing;
      CREATE INDEX cvm_instances_listing ON cvm_instances(account_uin, region, created_at, seq)
        INCLUDE (view_version, state, latest_operation_state, zone, charge_type, project_id, vpc_id, subnet_id);
    `,
  },
  {
    id: "cvm/4",
    description: "indexes for the selective DescribeInstances filters: names (FTS5 trigram), tags, security groups, IPv6 addresses, ids and addresses",
    // Each filter that picks few instances (name, tag, security group, address, host, cluster) is answered
    // through an index instead of reading every instance's doc. The tables below are derived from
    // cvm_instances and kept ONLY by its triggers, so every write path (the repository, a bench seeding rows
    // with INSERT … SELECT, a reset) keeps them exact; they are filled from the rows already there.
    //
    // seq is the instance's global INTEGER PRIMARY KEY: `seq IN (SELECT seq FROM …)` beside the account and
    // region conditions stays within the account, so the derived rows carry neither.
    //
    // The list tables hold one row per element of the doc's list as json_each yields it (pos is json_each's
    // id, unique within the list, so neither a repeated nor a null element can break a write), with values of
    // no declared type: they compare with the filter values exactly as json_each's values did.
    //
    // The insert trigger first clears any row left for its seq: a row removed by INSERT OR REPLACE fires no
    // delete trigger (recursive_triggers is off), and SQLite may give its seq to the next row.
    //
    // save() rewrites every column, so the update triggers fire on each save; their WHEN clauses make them
    // act only when what they derive from changed: a state change costs a few comparisons, a rename one FTS
    // row, and a changed list a few indexed deletes and inserts.
    sql: `
      CREATE VIRTUAL TABLE cvm_instance_names USING fts5(name, tokenize = 'trigram');
      CREATE TABLE cvm_instance_tags (
        seq   INTEGER NOT NULL,
        pos   INTEGER NOT NULL,
        key,
        value,
        PRIMARY KEY (seq, pos)
      ) WITHOUT ROWID;
      CREATE INDEX cvm_instance_tags_key ON cvm_instance_tags(key, value);
      CREATE INDEX cvm_instance_tags_value ON cvm_instance_tags(value);
      CREATE TABLE cvm_instance_security_groups (
        seq   INTEGER NOT NULL,
        pos   INTEGER NOT NULL,
        sg_id,
        PRIMARY KEY (seq, pos)
      ) WITHOUT ROWID;
      CREATE INDEX cvm_instance_security_groups_id ON cvm_instance_security_groups(sg_id);
      CREATE TABLE cvm_instance_ipv6 (
        seq     INTEGER NOT NULL,
        pos     INTEGER NOT NULL,
        address,
        PRIMARY KEY (seq, pos)
      ) WITHOUT ROWID;
      CREATE INDEX cvm_instance_ipv6_address ON cvm_instance_ipv6(address);

      INSERT INTO cvm_instance_names (rowid, name) SELECT seq, instance_name FROM cvm_instances;
      -- A tag that is not an object has no Key or Value to match (json_extract would fail on it).
      INSERT INTO cvm_instance_tags (seq, pos, key, value)
        SELECT i.seq, t.id, json_extract(t.value, '$.Key'), json_extract(t.value, '$.Value') FROM cvm_instances i, json_each(i.doc, '$.Tags') t WHERE t.type = 'object';
      INSERT INTO cvm_instance_security_groups (seq, pos, sg_id)
        SELECT i.seq, g.id, g.value FROM cvm_instances i, json_each(i.doc, '$.SecurityGroupIds') g;
      INSERT INTO cvm_instance_ipv6 (seq, pos, address)
        SELECT i.seq, a.id, a.value FROM cvm_instances i, json_each(i.doc, '$.IPv6Addresses') a;

      CREATE TRIGGER cvm_instances_derived_in AFTER INSERT ON cvm_instances BEGIN
        DELETE FROM cvm_instance_names WHERE rowid = NEW.seq;
        INSERT INTO cvm_instance_names (rowid, name) VALUES (NEW.seq, NEW.instance_name);
        DELETE FROM cvm_instance_tags WHERE seq = NEW.seq;
        INSERT INTO cvm_instance_tags (seq, pos, key, value)
          SELECT NEW.seq, id, json_extract(value, '$.Key'), json_extract(value, '$.Value') FROM json_each(NEW.doc, '$.Tags') WHERE type = 'object';
        DELETE FROM cvm_instance_security_groups WHERE seq = NEW.seq;
        INSERT INTO cvm_instance_security_groups (seq, pos, sg_id) SELECT NEW.seq, id, value FROM json_each(NEW.doc, '$.SecurityGroupIds');
        DELETE FROM cvm_instance_ipv6 WHERE seq = NEW.seq;
        INSERT INTO cvm_instance_ipv6 (seq, pos, address) SELECT NEW.seq, id, value FROM json_each(NEW.doc, '$.IPv6Addresses');
      END;
      CREATE TRIGGER cvm_instances_derived_out AFTER DELETE ON cvm_instances BEGIN
        DELETE FROM cvm_instance_names WHERE rowid = OLD.seq;
        DELETE FROM cvm_instance_tags WHERE seq = OLD.seq;
        DELETE FROM cvm_instance_security_groups WHERE seq = OLD.seq;
        DELETE FROM cvm_instance_ipv6 WHERE seq = OLD.seq;
      END;
      CREATE TRIGGER cvm_instances_name_changed AFTER UPDATE OF seq, instance_name ON cvm_instances
        WHEN OLD.seq IS NOT NEW.seq OR OLD.instance_name IS NOT NEW.instance_name
      BEGIN
        DELETE FROM cvm_instance_names WHERE rowid = OLD.seq;
        INSERT INTO cvm_instance_names (rowid, name) VALUES (NEW.seq, NEW.instance_name);
      END;
      -- One trigger per list, so that a doc change leaving the list as it was (a host name, user data) costs
      -- two json_extract calls, not a rewrite of its rows.
      CREATE TRIGGER cvm_instances_tags_changed AFTER UPDATE OF seq, doc ON cvm_instances
        WHEN OLD.seq IS NOT NEW.seq OR (OLD.doc IS NOT NEW.doc AND json_extract(OLD.doc, '$.Tags') IS NOT json_extract(NEW.doc, '$.Tags'))
      BEGIN
        DELETE FROM cvm_instance_tags WHERE seq = OLD.seq;
        INSERT INTO cvm_instance_tags (seq, pos, key, value)
          SELECT NEW.seq, id, json_extract(value, '$.Key'), json_extract(value, '$.Value') FROM json_each(NEW.doc, '$.Tags') WHERE type = 'object';
      END;
      CREATE TRIGGER cvm_instances_security_groups_changed AFTER UPDATE OF seq, doc ON cvm_instances
        WHEN OLD.seq IS NOT NEW.seq OR (OLD.doc IS NOT NEW.doc AND json_extract(OLD.doc, '$.SecurityGroupIds') IS NOT json_extract(NEW.doc, '$.SecurityGroupIds'))
      BEGIN
        DELETE FROM cvm_instance_security_groups WHERE seq = OLD.seq;
        INSERT INTO cvm_instance_security_groups (seq, pos, sg_id) SELECT NEW.seq, id, value FROM json_each(NEW.doc, '$.SecurityGroupIds');
      END;
      CREATE TRIGGER cvm_instances_ipv6_changed AFTER UPDATE OF seq, doc ON cvm_instances
        WHEN OLD.seq IS NOT NEW.seq OR (OLD.doc IS NOT NEW.doc AND json_extract(OLD.doc, '$.IPv6Addresses') IS NOT json_extract(NEW.doc, '$.IPv6Addresses'))
      BEGIN
        DELETE FROM cvm_instance_ipv6 WHERE seq = OLD.seq;
        INSERT INTO cvm_instance_ipv6 (seq, pos, address) SELECT NEW.seq, id, value FROM json_each(NEW.doc, '$.IPv6Addresses');
      END;

      -- What makes seq IN (SELECT … FROM the tables above) a lookup. Without statistics SQLite takes
      -- account_uin = ? AND region = ? to match about 10 rows, fewer than the 25 it assumes a subquery
      -- yields, so it would rather read every index entry of the account and test each seq against the set.
      -- On this unique index the three terms are one lookup per seq found, made within the account.
      CREATE UNIQUE INDEX cvm_instances_account_seq ON cvm_instances(account_uin, region, seq);
      -- A page of such a filter (listing.ts: ORDER BY +created_at, +seq) could also be read from the listing
      -- index, which covers the page's columns, and beside a zone or subnet filter from the index of that
      -- facet: on the same estimate SQLite would walk the account's (or the zone's) whole range there rather
      -- than look up each seq. Statistics rows for those indexes tell it what holds for any account: an
      -- account and region may have a great many instances, a zone or a subnet many of them. (An index whose
      -- key ends with the facet, such as cvm_instances_state, takes seq as its next column and needs none.)
      -- ANALYZE sqlite_schema analyzes nothing: the first makes sqlite_stat1, the second loads the rows.
      -- DROP INDEX removes an index's row: an index made again needs its row again.
      ANALYZE sqlite_schema;
      DELETE FROM sqlite_stat1 WHERE tbl = 'cvm_instances' AND idx IN ('cvm_instances_listing', 'cvm_instances_quota', 'cvm_instances_private_ip');
      INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
        ('cvm_instances', 'cvm_instances_listing', '1000000 100000 100000 1 1 1 1 1 1 1 1 1 1'),
        ('cvm_instances', 'cvm_instances_quota', '1000000 100000 100000 20000 10000'),
        ('cvm_instances', 'cvm_instances_private_ip', '1000000 100000 100000 1000 1');
      ANALYZE sqlite_schema;
      -- uuid, private-ip-address and public-ip-address (the unique index on private_ip leads with subnet_id).
      CREATE INDEX cvm_instances_uuid ON cvm_instances(account_uin, region, uuid);
      CREATE INDEX cvm_instances_private_address ON cvm_instances(account_uin, region, private_ip);
      CREATE INDEX cvm_instances_public_address ON cvm_instances(account_uin, region, public_ip);
      -- host-id and dedicated-cluster-id: the filter's SQL is this very expression (indexed-filters.ts).
      CREATE INDEX cvm_instances_host ON cvm_instances(account_uin, region, json_extract(doc, '$.Placement.HostId'));
      CREATE INDEX cvm_instances_dedicated_cluster ON cvm_instances(account_uin, region, json_extract(doc, '$.DedicatedClusterId'));
    `,
    postgres: String.raw`
      -- instance-name: a trigram index on the ASCII-folded name answers indexed-filters.ts's
      -- POSTGRES_FOLDED_NAME LIKE '%…%' (this expression exactly). No table stands for cvm_instance_names.
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE INDEX cvm_instances_name ON cvm_instances USING gin (lower(instance_name COLLATE "C") gin_trgm_ops);

      -- doc as jsonb, for the triggers and the expression indexes below. doc::jsonb (and doc::json's field
      -- operators) refuse JSON text that holds the escape \u0000 or a lone surrogate escape (\ud800), which
      -- JSON.stringify writes for such characters in a string: a RunInstances with a tag value holding one
      -- would fail to insert. Such escapes are read as U+FFFD instead (the stored doc keeps them). A doc
      -- without "\u" takes the plain cast; malformed JSON fails either way, as json_each fails in SQLite.
      CREATE FUNCTION cvm_doc_jsonb_escaped(doc text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
      DECLARE
        t text;
      BEGIN
        BEGIN
          RETURN doc::jsonb;
        EXCEPTION WHEN data_exception THEN
          NULL;
        END;
        -- Each escaped backslash becomes U+0001 (never raw in JSON text), so that every \u left starts an escape.
        t := replace(replace(doc, '\\', chr(1)), '\u0000', '\ufffd');
        t := regexp_replace(t, '\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})', '\\ufffd', 'g');
        t := regexp_replace(t, '(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}', '\\ufffd', 'g');
        RETURN replace(t, chr(1), '\\')::jsonb;
      END
      $$;
      CREATE FUNCTION cvm_doc_jsonb(doc text) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN CASE WHEN strpos(doc, '\u') = 0 THEN doc::jsonb ELSE cvm_doc_jsonb_escaped(doc) END;
      -- The rows SQLite's json_each(doc, '$.List') yields: an array's elements, an object's member values, or
      -- the one value the path names (null included); none when the path is missing. pos: unique in the list.
      CREATE FUNCTION cvm_json_items(list jsonb) RETURNS TABLE (pos integer, item jsonb) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT (e.pos - 1)::integer, e.item FROM jsonb_array_elements(CASE WHEN jsonb_typeof(list) = 'array' THEN list END) WITH ORDINALITY AS e(item, pos)
        UNION ALL
        SELECT (o.pos - 1)::integer, o.item FROM jsonb_each(CASE WHEN jsonb_typeof(list) = 'object' THEN list END) WITH ORDINALITY AS o(key, item, pos)
        UNION ALL
        SELECT 0, list WHERE jsonb_typeof(list) NOT IN ('array', 'object')
      $$;
      -- A JSON string as text; any other value (number, boolean, null, object, array) as NULL. A filter value
      -- is a string, and in SQLite a string never equals a stored number or boolean either.
      CREATE FUNCTION cvm_json_text(value jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' END;

      CREATE TABLE cvm_instance_tags (
        seq   BIGINT NOT NULL,
        pos   INTEGER NOT NULL,
        key   TEXT COLLATE "C",
        value TEXT COLLATE "C",
        PRIMARY KEY (seq, pos)
      );
      CREATE INDEX cvm_instance_tags_key ON cvm_instance_tags(key, value);
      CREATE INDEX cvm_instance_tags_value ON cvm_instance_tags(value);
      CREATE TABLE cvm_instance_security_groups (
        seq   BIGINT NOT NULL,
        pos   INTEGER NOT NULL,
        sg_id TEXT COLLATE "C",
        PRIMARY KEY (seq, pos)
      );
      CREATE INDEX cvm_instance_security_groups_id ON cvm_instance_security_groups(sg_id);
      CREATE TABLE cvm_instance_ipv6 (
        seq     BIGINT NOT NULL,
        pos     INTEGER NOT NULL,
        address TEXT COLLATE "C",
        PRIMARY KEY (seq, pos)
      );
      CREATE INDEX cvm_instance_ipv6_address ON cvm_instance_ipv6(address);

      INSERT INTO cvm_instance_tags (seq, pos, key, value)
        SELECT i.seq, t.pos, cvm_json_text(t.item -> 'Key'), cvm_json_text(t.item -> 'Value')
        FROM cvm_instances i, cvm_json_items(cvm_doc_jsonb(i.doc) -> 'Tags') t WHERE jsonb_typeof(t.item) = 'object';
      INSERT INTO cvm_instance_security_groups (seq, pos, sg_id)
        SELECT i.seq, g.pos, cvm_json_text(g.item) FROM cvm_instances i, cvm_json_items(cvm_doc_jsonb(i.doc) -> 'SecurityGroupIds') g;
      INSERT INTO cvm_instance_ipv6 (seq, pos, address)
        SELECT i.seq, a.pos, cvm_json_text(a.item) FROM cvm_instances i, cvm_json_items(cvm_doc_jsonb(i.doc) -> 'IPv6Addresses') a;

      -- The rows of an instance are written only under its row lock (its insert, update or delete), so
      -- concurrent writers never race on them. A seq is never reused (identity; PostgreSQL has no INSERT OR
      -- REPLACE), so the insert trigger has nothing to clear first.
      CREATE FUNCTION cvm_instances_derived_in() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        parsed jsonb := cvm_doc_jsonb(NEW.doc);
      BEGIN
        INSERT INTO cvm_instance_tags (seq, pos, key, value)
          SELECT NEW.seq, t.pos, cvm_json_text(t.item -> 'Key'), cvm_json_text(t.item -> 'Value') FROM cvm_json_items(parsed -> 'Tags') t WHERE jsonb_typeof(t.item) = 'object';
        INSERT INTO cvm_instance_security_groups (seq, pos, sg_id) SELECT NEW.seq, g.pos, cvm_json_text(g.item) FROM cvm_json_items(parsed -> 'SecurityGroupIds') g;
        INSERT INTO cvm_instance_ipv6 (seq, pos, address) SELECT NEW.seq, a.pos, cvm_json_text(a.item) FROM cvm_json_items(parsed -> 'IPv6Addresses') a;
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION cvm_instances_derived_out() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM cvm_instance_tags WHERE seq = OLD.seq;
        DELETE FROM cvm_instance_security_groups WHERE seq = OLD.seq;
        DELETE FROM cvm_instance_ipv6 WHERE seq = OLD.seq;
        RETURN NULL;
      END
      $$;
      -- SQLite's three *_changed triggers in one, which parses each doc once: a list's rows are rewritten
      -- when seq changed or the list did (jsonb equality). save() rewrites doc unchanged: the WHEN skips it.
      CREATE FUNCTION cvm_instances_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        old_doc jsonb := cvm_doc_jsonb(OLD.doc);
        new_doc jsonb := cvm_doc_jsonb(NEW.doc);
        moved boolean := OLD.seq IS DISTINCT FROM NEW.seq;
      BEGIN
        IF moved OR (old_doc -> 'Tags') IS DISTINCT FROM (new_doc -> 'Tags') THEN
          DELETE FROM cvm_instance_tags WHERE seq = OLD.seq;
          INSERT INTO cvm_instance_tags (seq, pos, key, value)
            SELECT NEW.seq, t.pos, cvm_json_text(t.item -> 'Key'), cvm_json_text(t.item -> 'Value') FROM cvm_json_items(new_doc -> 'Tags') t WHERE jsonb_typeof(t.item) = 'object';
        END IF;
        IF moved OR (old_doc -> 'SecurityGroupIds') IS DISTINCT FROM (new_doc -> 'SecurityGroupIds') THEN
          DELETE FROM cvm_instance_security_groups WHERE seq = OLD.seq;
          INSERT INTO cvm_instance_security_groups (seq, pos, sg_id) SELECT NEW.seq, g.pos, cvm_json_text(g.item) FROM cvm_json_items(new_doc -> 'SecurityGroupIds') g;
        END IF;
        IF moved OR (old_doc -> 'IPv6Addresses') IS DISTINCT FROM (new_doc -> 'IPv6Addresses') THEN
          DELETE FROM cvm_instance_ipv6 WHERE seq = OLD.seq;
          INSERT INTO cvm_instance_ipv6 (seq, pos, address) SELECT NEW.seq, a.pos, cvm_json_text(a.item) FROM cvm_json_items(new_doc -> 'IPv6Addresses') a;
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER cvm_instances_derived_in AFTER INSERT ON cvm_instances FOR EACH ROW EXECUTE FUNCTION cvm_instances_derived_in();
      CREATE TRIGGER cvm_instances_derived_out AFTER DELETE ON cvm_instances FOR EACH ROW EXECUTE FUNCTION cvm_instances_derived_out();
      CREATE TRIGGER cvm_instances_lists_changed AFTER UPDATE OF seq, doc ON cvm_instances FOR EACH ROW
        WHEN (OLD.seq IS DISTINCT FROM NEW.seq OR OLD.doc IS DISTINCT FROM NEW.doc)
        EXECUTE FUNCTION cvm_instances_lists_changed();
      -- TRUNCATE fires no row trigger (SQLite has none): it leaves what deleting every instance would.
      CREATE FUNCTION cvm_instances_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE cvm_instance_counts SET n = 0, version = version + 1 WHERE n <> 0;
        DELETE FROM cvm_instance_facets;
        DELETE FROM cvm_instance_tags;
        DELETE FROM cvm_instance_security_groups;
        DELETE FROM cvm_instance_ipv6;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER cvm_instances_truncated AFTER TRUNCATE ON cvm_instances FOR EACH STATEMENT EXECUTE FUNCTION cvm_instances_truncated();

      -- uuid, private-ip-address and public-ip-address (the unique index on private_ip leads with subnet_id).
      -- (SQLite's cvm_instances_account_seq and its sqlite_stat1 rows steer SQLite's planner only: seq is the
      -- primary key here.)
      CREATE INDEX cvm_instances_uuid ON cvm_instances(account_uin, region, uuid);
      CREATE INDEX cvm_instances_private_address ON cvm_instances(account_uin, region, private_ip);
      CREATE INDEX cvm_instances_public_address ON cvm_instances(account_uin, region, public_ip);
      -- host-id and dedicated-cluster-id: the filter's SQL must be this very expression (indexed-filters.ts).
      CREATE INDEX cvm_instances_host ON cvm_instances(account_uin, region, (cvm_doc_jsonb(doc) #>> '{Placement,HostId}'));
      CREATE INDEX cvm_instances_dedicated_cluster ON cvm_instances(account_uin, region, (cvm_doc_jsonb(doc) ->> 'DedicatedClusterId'));
    `,
  },
  {
    id: "cvm/5",
    description: "tag rows carry their instance's account, region and creation time, indexed in listing order",
    // A tag filter that matches many instances (tag:team=web on 1% of a million) was answered by sorting all
    // of them by creation time, each looked up in cvm_instances. With the listing order in the tag rows, a
    // filter on one tag key (and one value) counts and pages through one index range (listing.ts, `ordered`).
    // The three columns never change once an instance exists.
    sql: `
      ALTER TABLE cvm_instance_tags ADD COLUMN account_uin;
      ALTER TABLE cvm_instance_tags ADD COLUMN region;
      ALTER TABLE cvm_instance_tags ADD COLUMN created_at;
      UPDATE cvm_instance_tags SET (account_uin, region, created_at) =
        (SELECT i.account_uin, i.region, i.created_at FROM cvm_instances i WHERE i.seq = cvm_instance_tags.seq);
      CREATE INDEX cvm_instance_tags_listing ON cvm_instance_tags(account_uin, region, key, value, created_at, seq);
      CREATE INDEX cvm_instance_tags_key_listing ON cvm_instance_tags(account_uin, region, key, created_at, seq);
      DROP TRIGGER cvm_instances_derived_in;
      CREATE TRIGGER cvm_instances_derived_in AFTER INSERT ON cvm_instances BEGIN
        DELETE FROM cvm_instance_names WHERE rowid = NEW.seq;
        INSERT INTO cvm_instance_names (rowid, name) VALUES (NEW.seq, NEW.instance_name);
        DELETE FROM cvm_instance_tags WHERE seq = NEW.seq;
        INSERT INTO cvm_instance_tags (seq, pos, key, value, account_uin, region, created_at)
          SELECT NEW.seq, id, json_extract(value, '$.Key'), json_extract(value, '$.Value'), NEW.account_uin, NEW.region, NEW.created_at FROM json_each(NEW.doc, '$.Tags') WHERE type = 'object';
        DELETE FROM cvm_instance_security_groups WHERE seq = NEW.seq;
        INSERT INTO cvm_instance_security_groups (seq, pos, sg_id) SELECT NEW.seq, id, value FROM json_each(NEW.doc, '$.SecurityGroupIds');
        DELETE FROM cvm_instance_ipv6 WHERE seq = NEW.seq;
        INSERT INTO cvm_instance_ipv6 (seq, pos, address) SELECT NEW.seq, id, value FROM json_each(NEW.doc, '$.IPv6Addresses');
      END;
      DROP TRIGGER cvm_instances_tags_changed;
      CREATE TRIGGER cvm_instances_tags_changed AFTER UPDATE OF seq, doc ON cvm_instances
        WHEN OLD.seq IS NOT NEW.seq OR (OLD.doc IS NOT NEW.doc AND json_extract(OLD.doc, '$.Tags') IS NOT json_extract(NEW.doc, '$.Tags'))
      BEGIN
        DELETE FROM cvm_instance_tags WHERE seq = OLD.seq;
        INSERT INTO cvm_instance_tags (seq, pos, key, value, account_uin, region, created_at)
          SELECT NEW.seq, id, json_extract(value, '$.Key'), json_extract(value, '$.Value'), NEW.account_uin, NEW.region, NEW.created_at FROM json_each(NEW.doc, '$.Tags') WHERE type = 'object';
      END;
    `,
    postgres: `
      ALTER TABLE cvm_instance_tags ADD COLUMN account_uin TEXT COLLATE "C";
      ALTER TABLE cvm_instance_tags ADD COLUMN region TEXT COLLATE "C";
      ALTER TABLE cvm_instance_tags ADD COLUMN created_at BIGINT;
      UPDATE cvm_instance_tags t SET account_uin = i.account_uin, region = i.region, created_at = i.created_at
        FROM cvm_instances i WHERE i.seq = t.seq;
      CREATE INDEX cvm_instance_tags_listing ON cvm_instance_tags(account_uin, region, key, value, created_at, seq);
      CREATE INDEX cvm_instance_tags_key_listing ON cvm_instance_tags(account_uin, region, key, created_at, seq);
      CREATE OR REPLACE FUNCTION cvm_instances_derived_in() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        parsed jsonb := cvm_doc_jsonb(NEW.doc);
      BEGIN
        INSERT INTO cvm_instance_tags (seq, pos, key, value, account_uin, region, created_at)
          SELECT NEW.seq, t.pos, cvm_json_text(t.item -> 'Key'), cvm_json_text(t.item -> 'Value'), NEW.account_uin, NEW.region, NEW.created_at
          FROM cvm_json_items(parsed -> 'Tags') t WHERE jsonb_typeof(t.item) = 'object';
        INSERT INTO cvm_instance_security_groups (seq, pos, sg_id) SELECT NEW.seq, g.pos, cvm_json_text(g.item) FROM cvm_json_items(parsed -> 'SecurityGroupIds') g;
        INSERT INTO cvm_instance_ipv6 (seq, pos, address) SELECT NEW.seq, a.pos, cvm_json_text(a.item) FROM cvm_json_items(parsed -> 'IPv6Addresses') a;
        RETURN NULL;
      END
      $$;
      CREATE OR REPLACE FUNCTION cvm_instances_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        old_doc jsonb := cvm_doc_jsonb(OLD.doc);
        new_doc jsonb := cvm_doc_jsonb(NEW.doc);
        moved boolean := OLD.seq IS DISTINCT FROM NEW.seq;
      BEGIN
        IF moved OR (old_doc -> 'Tags') IS DISTINCT FROM (new_doc -> 'Tags') THEN
          DELETE FROM cvm_instance_tags WHERE seq = OLD.seq;
          INSERT INTO cvm_instance_tags (seq, pos, key, value, account_uin, region, created_at)
            SELECT NEW.seq, t.pos, cvm_json_text(t.item -> 'Key'), cvm_json_text(t.item -> 'Value'), NEW.account_uin, NEW.region, NEW.created_at
            FROM cvm_json_items(new_doc -> 'Tags') t WHERE jsonb_typeof(t.item) = 'object';
        END IF;
        IF moved OR (old_doc -> 'SecurityGroupIds') IS DISTINCT FROM (new_doc -> 'SecurityGroupIds') THEN
          DELETE FROM cvm_instance_security_groups WHERE seq = OLD.seq;
          INSERT INTO cvm_instance_security_groups (seq, pos, sg_id) SELECT NEW.seq, g.pos, cvm_json_text(g.item) FROM cvm_json_items(new_doc -> 'SecurityGroupIds') g;
        END IF;
        IF moved OR (old_doc -> 'IPv6Addresses') IS DISTINCT FROM (new_doc -> 'IPv6Addresses') THEN
          DELETE FROM cvm_instance_ipv6 WHERE seq = OLD.seq;
          INSERT INTO cvm_instance_ipv6 (seq, pos, address) SELECT NEW.seq, a.pos, cvm_json_text(a.item) FROM cvm_json_items(new_doc -> 'IPv6Addresses') a;
        END IF;
        RETURN NULL;
      END
      $$;
    `,
  },
  {
    id: "cvm/6",
    description: "a count row's change version starts at a random number",
    // A listing remembers where its last page ended, valid while the version is the one it saw (listing.ts).
    // A reset deletes the count rows, and versions counted from 0 again would repeat the old ones: a page
    // asked for after the reset could continue from a row of before it. A random start (48 bits) makes a
    // repeated version a matter of chance, on every node.
    sql: `
      CREATE TRIGGER cvm_instance_counts_first_version AFTER INSERT ON cvm_instance_counts BEGIN
        UPDATE cvm_instance_counts SET version = abs(random() % 281474976710656)
         WHERE account_uin = NEW.account_uin AND region = NEW.region;
      END;
    `,
    postgres: `
      CREATE FUNCTION cvm_instance_counts_first_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.version := floor(random() * 281474976710656)::bigint;
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER cvm_instance_counts_first_version BEFORE INSERT ON cvm_instance_counts
        FOR EACH ROW EXECUTE FUNCTION cvm_instance_counts_first_version();
    `,
  },
];
