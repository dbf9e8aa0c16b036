"""Log collection rules: reading and checking them (``rules``), the services they select
(``targets``), the OpenTelemetry Collector configuration they become (``collector``) and
the DaemonSet, ConfigMap and ServiceAccount that run it (``objects``). Pure: no I/O."""
