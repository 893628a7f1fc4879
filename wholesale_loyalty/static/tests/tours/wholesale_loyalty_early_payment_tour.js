/** @odoo-module **/

import { registry } from "@web/core/registry";

// An accountant registers an early payment: the wizard proposes the payment terms' cash
// discount and says why; the invoice ends fully paid.
registry.category("web_tour.tours").add("wholesale_loyalty_early_payment_tour", {
    steps: () => [
        { content: "pay", trigger: "button[name=action_register_payment]", run: "click" },
        { content: "discount proposed", trigger: ".modal .alert:contains(Cash discount of the payment terms)" },
        { content: "reason shown", trigger: ".modal .o_field_widget[name=wholesale_discount_note]:contains(2%)" },
        { content: "discounted amount", trigger: ".modal .o_field_widget[name=amount] input:value(980.00)" },
        { content: "create payment", trigger: ".modal button[name=action_create_payments]", run: "click" },
        { content: "invoice settled", trigger: ".o_form_view .ribbon:contains(Paid), .o_form_view .ribbon:contains(In Payment)" },
    ],
});
