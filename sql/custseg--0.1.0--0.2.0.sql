/* custseg--0.1.0--0.2.0.sql: upgrades an installed custseg 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION custseg UPDATE TO '0.2.0'" to load this file. \quit

-- Every change to the extension's SQL objects between 0.1.0 and 0.2.0 is
-- made here as well as in sql/parts/, so that an updated install equals a
-- fresh one (checked by scripts/test, test/upgrade/).
