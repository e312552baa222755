#!/bin/sh
# Runs once, when the PostgreSQL volume is new: two roles and the database.
# prm_owner owns the database and its tables and runs the migrations; prm is what the web and the
# workers connect as: it owns nothing and holds only row privileges (granted by `migrate`), so it
# can neither bypass nor switch off row-level security. Neither is superuser or BYPASSRLS.
set -e
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE prm_owner LOGIN PASSWORD '${PRM_OWNER_DB_PASSWORD:-prm_owner}' NOSUPERUSER NOBYPASSRLS NOCREATEDB;
CREATE ROLE prm LOGIN PASSWORD '${PRM_DB_PASSWORD:-prm}' NOSUPERUSER NOBYPASSRLS NOCREATEDB;
CREATE DATABASE prm OWNER prm_owner;
SQL
