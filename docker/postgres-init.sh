#!/bin/sh
# Runs once, when the PostgreSQL volume is new: the application role and database.
# The role owns the app's database, is not superuser and cannot bypass row-level security.
set -e
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE prm LOGIN PASSWORD '${PRM_DB_PASSWORD:-prm}' NOSUPERUSER NOBYPASSRLS NOCREATEDB;
CREATE DATABASE prm OWNER prm;
SQL
