def migrate(cr, version):
    """The loyalty analysis is a query of its model now (``_table_query``), no database
    view: drop the view, which would otherwise hold on to the columns it read."""
    cr.execute("DROP VIEW IF EXISTS wholesale_loyalty_report")
