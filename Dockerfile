# The trendwatch application image: `docker build -t trendwatch .`,
# then `docker run --rm trendwatch --help`. Used by docker-compose.yml.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
    > /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

# The shipped scenarios are found next to the package, hence the editable install. It builds the
# Rust core (native/) with Debian's rustc-web/cargo-web, removed again in the same layer.
COPY native ./native
COPY detectors ./detectors
COPY streams ./streams
COPY scenarios ./scenarios
RUN apt-get update \
    && apt-get install -y --no-install-recommends rustc-web cargo-web \
    && pip install --no-deps -e . \
    && apt-get purge -y --auto-remove rustc-web cargo-web \
    && rm -rf /var/lib/apt/lists/* /root/.cargo native/target \
    && useradd --create-home --uid 10001 trendwatch

USER trendwatch
EXPOSE 9464 6066
ENTRYPOINT ["trendwatch"]
CMD ["--help"]
