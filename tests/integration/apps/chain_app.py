"""A minimal Faust app for the chain test: count words per key into a table."""

import os

import faust

app = faust.App(os.environ["CHAIN_APP_ID"], broker=os.environ["CHAIN_BROKER"],
                store="memory://", web_enabled=False, topic_partitions=1,
                value_serializer="raw", key_serializer="raw")
source = app.topic(os.environ["CHAIN_TOPIC"], value_type=bytes, key_type=bytes)
counts = app.Table("counts", default=int, partitions=1, key_type=str, value_type=int)


@app.agent(source)
async def count(stream):
    async for value in stream:
        for word in value.decode().split():
            counts[word] += 1


if __name__ == "__main__":
    app.main()
