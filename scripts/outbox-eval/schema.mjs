export const DDL = `
CREATE TABLE IF NOT EXISTS intents (
  id text PRIMARY KEY, workflow_type text NOT NULL, workflow_id text NOT NULL, task_queue text NOT NULL,
  payload jsonb NOT NULL, status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
  available_at timestamptz NOT NULL DEFAULT now(), lease_owner text, run_id text,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS intents_pending ON intents (available_at) WHERE status = 'pending';`;
export const INSERT = `INSERT INTO intents (id, workflow_type, workflow_id, task_queue, payload) VALUES ($1,$2,$3,$4,$5) ON CONFLICT (id) DO NOTHING`;
export const SQLITE_DDL = `
CREATE TABLE IF NOT EXISTS intents (id text PRIMARY KEY, workflow_type text NOT NULL, workflow_id text NOT NULL,
  task_queue text NOT NULL, payload text NOT NULL, status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
  available_at int NOT NULL DEFAULT (unixepoch('subsec')*1000), lease_owner text, run_id text, created_at int NOT NULL DEFAULT (unixepoch('subsec')*1000));
CREATE INDEX IF NOT EXISTS intents_pending ON intents (available_at) WHERE status = 'pending';`;
export const args = (i) => [
  `i-${i}-${Math.random()}`,
  'processOrder',
  `order-${i}`,
  'orders',
  JSON.stringify({ args: [{ order: i, items: ['a', 'b'] }] }),
];
