"""Reports: satisfaction and queue figures over any period, per clerk, desk,
service and time bucket, against the yearly target; the official table; exports."""
