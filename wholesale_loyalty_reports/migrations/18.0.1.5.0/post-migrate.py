def migrate(cr, version):
    """What-if movers are kept on their simulation and read through a query of their model
    (``_table_query``) now: the table that held them one row each is left unused."""
    cr.execute("DROP TABLE IF EXISTS wholesale_loyalty_simulation_move CASCADE")
