# The identity graph resolved (segkit/identity): a row per linked node with the node its
# profile is named after, and a row per link skipped because it would break identity_limits.
from segkit.identity.dbt_models import resolve_identity_graph


def model(dbt, session):
    dbt.config(materialized="table")
    return resolve_identity_graph(
        dbt.ref("int_identity_links__ordered"), dbt.ref("int_identity_nodes__linked")
    )
