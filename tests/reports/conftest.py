"""A published period (issue 6 reports): 20 communes of district D1 by default, with xã Đồng
Tâm (commune A) at 87,75, xếp thứ 9/20, and last year's period published before it."""

import pytest

from .builders import make_published_period


@pytest.fixture
def publication(units):
    return make_published_period(units)


@pytest.fixture
def published_period(publication):
    return publication.period
