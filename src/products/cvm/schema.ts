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
  },
];
