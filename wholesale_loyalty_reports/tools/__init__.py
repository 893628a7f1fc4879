from . import kpi, roi, simulation
