-- One database per service, and one for the gateway (users, tokens, audit trail):
-- each owns its tables and nobody else reads them.
-- Run once by the postgres image on an empty data volume
-- (/docker-entrypoint-initdb.d/), connected as POSTGRES_USER, which owns them.
-- Keep in step with deploy/k8s/overlays/dev/postgres/init.sql (a test checks it).
-- Tables are created by each service's migrations (`doudi-service migrate <name>`)
-- and the gateway's (`doudi-gateway` at start, or `doudi-gateway-admin migrate`).
-- An existing data volume does not run this again: create a new database by hand
-- (deploy/README.md).

CREATE DATABASE eligibility;
CREATE DATABASE institutions;
CREATE DATABASE funding;
CREATE DATABASE services_log;
CREATE DATABASE gateway;

-- No one but the owner may connect unless granted.
REVOKE CONNECT ON DATABASE eligibility FROM PUBLIC;
REVOKE CONNECT ON DATABASE institutions FROM PUBLIC;
REVOKE CONNECT ON DATABASE funding FROM PUBLIC;
REVOKE CONNECT ON DATABASE services_log FROM PUBLIC;
REVOKE CONNECT ON DATABASE gateway FROM PUBLIC;
