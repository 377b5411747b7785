"""Customer AI: propensity models trained, explained and scored in the warehouse.

The generated dbt Python models (``int_propensity_training__<model>`` and
``int_propensity_scores__<model>``) are one call each into ``dbt_models``.
"""
