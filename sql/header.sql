/* custseg--0.1.0.sql: assembled by the Makefile from sql/<concept>.sql */

\echo Use "CREATE EXTENSION custseg" to load this file. \quit
