"""MQTT ingest: turns device messages into committed changes, and answers.

For every inbound message, in order:

1. classify the topic, check the size, decode UTF-8 and JSON, validate the model
   (`admission`);
2. check the sender: the id in the topic, the id in the payload and the device's kind
   and desk in the site configuration must agree (`admission.Admission.check_sender`);
3. deduplicate on ``msg_id`` (QoS 1 redelivery and outbox replays have no effect; a
   replayed ticket request gets its original answer again) (`dedup`);
4. apply it (issue a number, store a rating, update a device) through the use cases of
   `server.services`, in a savepoint of the batch's transaction (`handlers`);
5. commit, then acknowledge (manual PUBACK), then publish replies and receipts (the
   msg_ids each device may now delete from its outbox, `receipts`), and hand the new
   state to the publisher (`worker`).

A refused message is stored in ``rejected_messages``, reported on ``server/rejected``
with its reason, acknowledged (so it is not redelivered forever), receipted, answered if
it is a ticket request, and never stops the worker (`rejections`). `health` says whether
ingest keeps up. This strict point of cut-off keeps the MQTT transport (topics, bytes,
acknowledgements, batches) out of the use cases, which the HTTP API calls as well.
"""
