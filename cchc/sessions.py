"""Sessions in the shared database (django.contrib.sessions.backends.db), read with a query
compiled once per process.

Every request of a signed-in user reads its session: building and compiling the ORM's
`Session.objects.get(session_key=…, expire_date__gt=now)` was a tenth of an autosave's time
(bench/load.py). The same row is read by its key (cchc.compiled) and refused when expired,
exactly as the ORM's filter refuses it; writing, creating and deleting sessions are
Django's own.
"""

from django.contrib.sessions.backends import db
from django.db import router
from django.utils import timezone

from .compiled import CompiledQuery


class SessionStore(db.SessionStore):
    # The model is imported on first use, as Django's store does.
    by_key = CompiledQuery(
        lambda key: SessionStore.get_model_class().objects.filter(session_key=key), "\x00session"
    )

    def _get_session_from_db(self):
        key = self.session_key  # None when missing or malformed (SessionBase validates it)
        session = None
        if key:
            session = self.by_key.get(key, using=router.db_for_read(self.model))
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
