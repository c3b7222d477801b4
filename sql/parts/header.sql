/* custseg--0.2.0.sql: assembled by the Makefile from sql/parts/<concept>.sql */

\echo Use "CREATE EXTENSION custseg" to load this file. \quit

-- Everyone may use what the extension defines; what they may read is
-- governed by their privileges on their own tables.
GRANT USAGE ON SCHEMA custseg TO PUBLIC;
