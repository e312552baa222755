#!/bin/sh
# Runs once, when the PostgreSQL volume is new: the application role and database.
# The role may create databases (for the test suite) but is not superuser and cannot bypass RLS.
set -e
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE prm LOGIN PASSWORD '${PRM_DB_PASSWORD:-prm}' NOSUPERUSER NOBYPASSRLS CREATEDB;
CREATE DATABASE prm OWNER prm;
SQL
