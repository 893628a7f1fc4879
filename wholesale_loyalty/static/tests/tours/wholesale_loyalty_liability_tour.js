/** @odoo-module **/

import { registry } from "@web/core/registry";

// Who keeps the books opens the program's points liability: the method, the accounts and the
// tie-out of the ledger against the books, to the cent.
registry.category("web_tour.tours").add("wholesale_loyalty_liability_tour", {
    steps: () => [
        {
            content: "open the points liability tab",
            trigger: ".o_notebook .nav-link:contains(Points Liability)",
            run: "click",
        },
        { content: "deferral chosen", trigger: ".o_field_widget[name=liability_method] input[data-value=deferral]:checked" },
        {
            content: "the liability account",
            trigger: ".o_field_widget[name=liability_account_id] input:value(Contract liability: loyalty points)",
        },
        { content: "the ledger carries D", trigger: ".o_field_widget[name=liability_ledger_amount]:contains(8,675.80)" },
        { content: "the books hold D", trigger: ".o_field_widget[name=liability_books_amount]:contains(8,675.80)" },
        { content: "nothing to explain", trigger: ".o_field_widget[name=liability_difference]:contains(0.00)" },
        { content: "the report can be printed", trigger: "button[name=action_print_liability_tie_out]" },
        { content: "and exported", trigger: "button[name=action_export_liability_tie_out]" },
    ],
});
