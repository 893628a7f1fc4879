"""The .pot files match the code, and the ru / bg translations cover every term."""
import io
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

ROOT = Path(__file__).resolve().parents[1]
ADDONS = ("wholesale_loyalty", "wholesale_loyalty_reports")
LANGUAGES = ("ru", "bg")


def _terms(po):
    return {(entry.msgctxt, entry.msgid) for entry in po if entry.msgid and not entry.obsolete}


def _references(po):
    return {(entry.msgctxt, entry.msgid, reference) for entry in po if entry.msgid and not entry.obsolete
            for reference, _line in entry.occurrences}


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):

    def _exported_pot(self, addon):
        buffer = io.BytesIO()
        trans_export(False, [addon], buffer, "po", self.env.cr)
        return polib.pofile(buffer.getvalue().decode())

    def test_pot_files_are_up_to_date(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                committed = polib.pofile(str(ROOT / addon / "i18n" / f"{addon}.pot"))
                current = self._exported_pot(addon)
                missing = _terms(current) - _terms(committed)
                stale = _terms(committed) - _terms(current)
                self.assertFalse(missing, f"{addon}.pot lacks terms; run setup/export_translations.sh")
                self.assertFalse(stale, f"{addon}.pot has terms the code no longer uses")

    def test_translations_name_every_record_of_their_terms(self):
        # Odoo imports a record's translation by the references of its term: a term whose
        # entry lacks the reference of a new field or view stays untranslated there.
        for addon in ADDONS:
            current = _references(self._exported_pot(addon))
            for name in (f"{addon}.pot", *(f"{language}.po" for language in LANGUAGES)):
                with self.subTest(addon=addon, file=name):
                    committed = _references(polib.pofile(str(ROOT / addon / "i18n" / name)))
                    missing = sorted(current - committed)
                    self.assertFalse(missing[:10], f"{name} of {addon} lacks references")

    def test_every_term_is_translated(self):
        for addon in ADDONS:
            pot = polib.pofile(str(ROOT / addon / "i18n" / f"{addon}.pot"))
            for language in LANGUAGES:
                with self.subTest(addon=addon, language=language):
                    po = polib.pofile(str(ROOT / addon / "i18n" / f"{language}.po"))
                    translated = {(e.msgctxt, e.msgid) for e in po if e.msgstr.strip() and "fuzzy" not in e.flags}
                    untranslated = _terms(pot) - translated
                    self.assertFalse(sorted(untranslated)[:10], f"{language}.po of {addon} misses terms")

    def test_russian_messages_reach_users(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(["wholesale_loyalty"], ["ru_RU"])
        menu = self.env.ref("wholesale_loyalty.wholesale_loyalty_program_menu").with_context(lang="ru_RU")
        self.assertNotEqual(menu.name, "Programs")
