from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0003_assigned_kind'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('new_ticket', 'New ticket'), ('status_changed', 'Status changed'), ('rejected', 'Reply rejected'), ('due_soon', 'Due soon'), ('timed_out', 'Timed out'), ('assigned', 'Assigned to you'), ('webhook_disabled', 'Webhook endpoint disabled')], max_length=20, verbose_name='kind'),
        ),
    ]
