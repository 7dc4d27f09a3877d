"""Talking to Kafka: the local broker, topics, the producer and delivery checks.

``broker`` runs a single-node KRaft broker from the official jars (fetched by
Maven with ``pom.xml``; log4j2 configurations beside it) for ``trendwatch
kafka`` and the tests. ``topics`` names and creates the pipeline's topics
(``posts``, ``hashtag-mentions``, ``hashtag-windows``, ``trend-alerts``,
``posts-dlq``). ``producer`` packs events into Kafka records and sends them
(simulate, replay, ``run --broker``); ``delivery`` reads back what a producer
already delivered, so an interrupted replay resumes without duplicates;
``results`` reads a pipeline's alerts and closed windows back (``watch``,
``run --broker``; imported on its own: it needs the worker's watermark key).
``security`` turns the settings' TLS and SASL options into client
configuration and checks a login once; ``broker_security`` and ``certs`` give
the local broker secured listeners, users and certificates.
"""

from streams.kafka.broker import KAFKA_VERSION, LocalBroker, free_port
from streams.kafka.broker_security import SECURED_PROTOCOLS, BrokerSecurity
from streams.kafka.certs import TlsFiles, make_tls_files
from streams.kafka.delivery import RUN_HEADER, count_delivered, end_offsets
from streams.kafka.producer import MAX_RECORD_BYTES, KafkaSink, RecordPacker, encode_event, event_key
from streams.kafka.security import check_connection, client_config, faust_credentials, ssl_context
from streams.kafka.topics import TopicSpec, admin_client, create_topics, partition_counts, topic_specs

__all__ = ["KAFKA_VERSION", "LocalBroker", "free_port", "SECURED_PROTOCOLS", "BrokerSecurity",
           "TlsFiles", "make_tls_files", "check_connection", "client_config", "faust_credentials", "ssl_context",
           "RUN_HEADER", "count_delivered", "end_offsets",
           "MAX_RECORD_BYTES", "KafkaSink", "RecordPacker", "encode_event", "event_key",
           "TopicSpec", "admin_client", "create_topics", "partition_counts", "topic_specs"]
