import django.db.models
from django.db import migrations

import tickets.models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0008_reject_reasons_and_claims'),
    ]

    operations = [
        migrations.AddField(
            model_name='shop',
            name='time_zone',
            field=django.db.models.CharField(default='Asia/Shanghai', max_length=64, validators=[tickets.models.validate_time_zone], verbose_name='time zone'),
        ),
        migrations.AddIndex(
            model_name='ticketevent',
            index=django.db.models.Index(fields=['created_at', 'kind'], name='event_created'),
        ),
    ]
