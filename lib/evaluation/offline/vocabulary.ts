// The offline evaluator's skill vocabulary: families of interchangeable terms. A requirement the job
// description names is met by any member of its family (a message broker by Kafka, RabbitMQ, SQS…);
// the exact term earns full credit, a sibling most of it. Terms are matched case-insensitively on word
// boundaries, except the `exact` ones, which are ordinary English words in lower case ("rest", "go").
import { type Family, inField, words } from './family.ts';
import { CLINICAL, DATA } from './vocabulary-fields.ts';
import { DESIGN, SALES } from './vocabulary-professions.ts';

export type { Family };

const SOFTWARE: Family[] = [
  {
    id: 'backend',
    label: 'backend development',
    terms: words(
      'backend | back-end | server-side | microservices | web services | backend services |' +
        'express | express.js | nestjs | fastify | hono | django | flask | fastapi | spring |' +
        'spring boot | rails | ruby on rails | laravel | asp.net | asp.net core | .net | gin |' +
        'phoenix | ktor | node.js | nodejs',
    ),
  },
  {
    id: 'language',
    label: 'a backend language',
    terms: words(
      'typescript | javascript | python | golang | java | kotlin | c# | ruby | php | rust | scala |' +
        'elixir | node.js | nodejs',
    ),
    exact: ['Go'],
  },
  {
    id: 'api',
    label: 'API design',
    terms: words(
      'restful | rest api | rest apis | rest-apis | graphql | grpc | api | apis | endpoint |' +
        'endpoints | web api | openapi',
    ),
    exact: ['REST'],
  },
  {
    id: 'relational',
    label: 'SQL databases',
    terms: words(
      'postgresql | postgres | mysql | mariadb | sql server | oracle | sqlite | sql | pgvector |' + 'rds',
    ),
  },
  {
    id: 'broker',
    label: 'a message broker',
    terms: words(
      'kafka | apache kafka | rabbitmq | redpanda | sqs | aws sqs | pub/sub | pubsub | nats |' +
        'activemq | azure service bus | service bus | kinesis | message queue | message queues |' +
        'message broker | celery | sidekiq | queue | queues | queued | background workers |' +
        'background jobs | event-driven',
    ),
  },
  {
    id: 'async',
    label: 'asynchronous processing',
    terms: words(
      'asynchronous | asynchronously | async | background worker | background workers |' +
        'background jobs | worker | event-driven | job id',
    ),
  },
  {
    id: 'distributed',
    label: 'distributed systems',
    terms: words(
      'distributed systems | distributed system | microservices | event-driven | at-least-once |' +
        'exactly-once | multi-tenant | spark | apache spark | pyspark | hadoop | flink | apache flink',
    ),
  },
  {
    id: 'resilience',
    label: 'resilience patterns',
    terms: words(
      'retry | retries | retried | backoff | exponential backoff | circuit breaker |' +
        'circuit breakers | idempotency | idempotent | idempotency keys | timeout | timeouts |' +
        'dead-letter | dead-letter queues | dead letter | rate limiting | jitter | fallback |' +
        'repair pass',
    ),
  },
  {
    id: 'containers',
    label: 'containers',
    terms: words(
      'docker | kubernetes | k8s | helm | ecs | containerised | containerized | docker compose |' +
        'cloud run | aks | eks | gke',
    ),
  },
  {
    id: 'cloud',
    label: 'a cloud platform',
    generic: true,
    terms: words('aws | gcp | google cloud | azure | cloud | lambda | heroku | cloud run'),
  },
  {
    id: 'cicd',
    label: 'CI/CD',
    terms: words(
      'ci/cd | ci | github actions | gitlab ci | jenkins | azure devops | continuous integration |' +
        'ci pipeline',
    ),
  },
  {
    id: 'iac',
    label: 'infrastructure as code',
    terms: words(
      'terraform | pulumi | cloudformation | ansible | infrastructure as code | infrastructure-as-code |' +
        'bicep | crossplane | opentofu',
    ),
  },
  {
    id: 'operations',
    label: 'incident response and on-call',
    terms: words(
      'incident response | incident management | on-call | post-mortems |' +
        'postmortems | post-mortem | incident reviews | runbooks | sre | site reliability',
    ),
  },
  {
    id: 'linux',
    label: 'Linux and shell scripting',
    terms: words('linux | bash | shell scripts | shell scripting | unix | systemd'),
  },
  {
    id: 'observability',
    label: 'monitoring and observability',
    terms: words(
      'opentelemetry | prometheus | grafana | datadog | observability | monitoring | tracing |' +
        'cloudwatch | alerting | alerts | slos | new relic',
    ),
  },
  {
    id: 'llm',
    label: 'LLM integration',
    terms: words(
      'llm | llms | large language models | large language model | openai | gpt | prompt |' +
        'prompts | prompt engineering | prompt design | prompt chains | chaining |' +
        'retrieval-augmented generation | embeddings | anthropic | langchain',
    ),
    exact: ['LLM'],
  },
  {
    id: 'rag',
    label: 'retrieval (RAG) and vector databases',
    terms: words(
      'rag | retrieval | retrieval-augmented generation | vector database | vector databases |' +
        'pgvector | qdrant | pinecone | weaviate | embeddings | chroma',
    ),
  },
  {
    id: 'testing',
    label: 'automated testing',
    generic: true,
    terms: words(
      'tests | testing | unit tests | unit test | integration tests | integration test | jest |' +
        'regression tests | regression testing | visual regression tests |' +
        'vitest | pytest | junit | xunit | rspec | testcontainers | tdd | test coverage | coverage |' +
        'end-to-end tests',
    ),
  },
  {
    id: 'docs',
    label: 'documentation',
    generic: true,
    terms: words(
      'documentation | readme | docs | documented | data dictionary | architecture diagram |' +
        'design choices | trade-offs | setup instructions | explains how to run | explain',
    ),
  },
  {
    id: 'schema',
    label: 'structured output and validation',
    generic: true,
    terms: words(
      'json schema | json-schema | schema | schema validation | pydantic | zod | validated |' +
        'validation | structured output',
    ),
  },
  {
    id: 'upload',
    label: 'document upload and parsing',
    generic: true,
    terms: words('upload | uploads | pdf | docx | documents'),
  },
];

export const FAMILIES: Family[] = [
  ...inField('software', SOFTWARE),
  ...inField('clinical', CLINICAL),
  ...inField('data', DATA),
  ...inField('design', DESIGN),
  ...inField('sales', SALES),
];

/** Evidence of working with others, as actions; adjectives ("team player") are not evidence. */
export const COLLABORATION_ACTIONS = words(
  'mentored | mentor | mentoring | coached | coaching | trained | taught | teach | precept |' +
    'preceptor | paired | pairing | code reviews | reviewed code | code review | led the |' +
    'led a | led weekly | worked with | worked closely with | collaborated | cross-functional |' +
    'coordinate | coordinated | presented | onboarding | post-mortems | with designers |' +
    'with the product | with product | architecture review | educated | advised | einarbeitung',
);

/** Verbs of measurable outcome: with a number in the same sentence, an achievement. */
export const OUTCOME_WORDS = words(
  'reduced | increased | improved | cut | raised | rose | fell | dropped | lifted | saved |' +
    'grew | exceeded | doubled | halved | shipped | reduce | by half | to zero | down |' +
    'processing | serving | handling | reducing | increasing | improving | cutting | raising | saving |' +
    'lifting | growing | doubling | halving | rose to | went from',
);
