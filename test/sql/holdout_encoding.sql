-- custseg.in_holdout hashes text as UTF-8 whatever the database encoding:
-- the same text gives the same hash in a UTF-8, a LATIN1 and a SQL_ASCII
-- database (test vector: 'kund-ö' in 'vår-kampanj' is 04faf9f6c3d5f923).
-- This file is UTF-8; the client says so in every database.
\set regress_db :DBNAME
CREATE DATABASE holdout_latin1 ENCODING 'LATIN1' LOCALE 'C' TEMPLATE template0;
CREATE DATABASE holdout_sql_ascii ENCODING 'SQL_ASCII' LOCALE 'C' TEMPLATE template0;

SELECT lpad(to_hex(custseg.holdout_hash('kund-ö', 'vår-kampanj')), 16, '0') AS utf8_database;

\c holdout_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION custseg;
-- stored as LATIN1: ö is the one byte f6
SELECT convert_to('kund-ö', 'LATIN1') AS latin1_bytes,
	   lpad(to_hex(custseg.holdout_hash('kund-ö', 'vår-kampanj')), 16, '0') AS latin1_database;

\c holdout_sql_ascii
SET client_encoding = 'UTF8';
CREATE EXTENSION custseg;
SELECT lpad(to_hex(custseg.holdout_hash('kund-ö', 'vår-kampanj')), 16, '0') AS sql_ascii_database;
-- SQL_ASCII stores any bytes; what is not UTF-8 cannot be hashed as UTF-8.
SELECT custseg.in_holdout(E'kund-\377', 'vår-kampanj', 0.1);
SELECT custseg.in_holdout('kund', E'v\345r', 0.1);
\set VERBOSITY sqlstate
SELECT custseg.in_holdout(E'kund-\377', 'vår-kampanj', 0.1);
\set VERBOSITY default

\c :regress_db
DROP DATABASE holdout_latin1;
DROP DATABASE holdout_sql_ascii;
