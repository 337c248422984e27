package dev.dbsync.cli.datagen;

/** The tables of the e-commerce data set, parents before children. */
public enum EcommerceTable {
    CATEGORIES("categories"),
    CUSTOMERS("customers"),
    PRODUCTS("products"),
    ORDERS("orders"),
    ORDER_ITEMS("order_items");

    private final String tableName;

    EcommerceTable(String tableName) {
        this.tableName = tableName;
    }

    /** The SQL table name. */
    public String tableName() {
        return tableName;
    }
}
