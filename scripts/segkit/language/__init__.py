"""The segment language: load YAML -> validate -> typed tree -> passes -> data for the SQL macros."""
