from . import kpi, roi
