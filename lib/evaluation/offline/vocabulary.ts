// The offline evaluator's skill vocabulary: families of interchangeable terms. A requirement the job
// description names is met by any member of its family (a message broker by Kafka, RabbitMQ, SQS…);
// the exact term earns full credit, a sibling most of it. Terms are matched case-insensitively on word
// boundaries, except the `exact` ones, which are ordinary English words in lower case ("rest", "go").

export interface Family {
  id: string;
  label: string;
  terms: string[];
  /** matched only with this exact spelling (ambiguous words: REST vs "the rest of the team") */
  exact?: string[];
  /** requirement families that credentials prove on their own (a licence line is evidence) */
  credential?: boolean;
  /** common to many fields (tests, docs, dashboards): a requirement, but not what defines the role */
  generic?: boolean;
}

export const FAMILIES: Family[] = [
  // software
  {
    id: 'backend',
    label: 'backend development',
    terms: ['backend', 'back-end', 'server-side', 'microservices', 'web services', 'backend services', 'express', 'express.js', 'nestjs', 'fastify', 'hono', 'django', 'flask', 'fastapi', 'spring', 'spring boot', 'rails', 'ruby on rails', 'laravel', 'asp.net', 'asp.net core', '.net', 'gin', 'phoenix', 'ktor', 'node.js', 'nodejs'],
  },
  {
    id: 'language',
    label: 'a backend language',
    terms: ['typescript', 'javascript', 'python', 'golang', 'java', 'kotlin', 'c#', 'ruby', 'php', 'rust', 'scala', 'elixir', 'node.js', 'nodejs'],
    exact: ['Go'],
  },
  { id: 'api', label: 'API design', terms: ['restful', 'rest api', 'rest apis', 'rest-apis', 'graphql', 'grpc', 'api', 'apis', 'endpoint', 'endpoints', 'web api', 'openapi'], exact: ['REST'] },
  { id: 'relational', label: 'SQL databases', terms: ['postgresql', 'postgres', 'mysql', 'mariadb', 'sql server', 'oracle', 'sqlite', 'sql', 'pgvector', 'rds'] },
  { id: 'broker', label: 'a message broker', terms: ['kafka', 'apache kafka', 'rabbitmq', 'redpanda', 'sqs', 'aws sqs', 'pub/sub', 'pubsub', 'nats', 'activemq', 'azure service bus', 'service bus', 'kinesis', 'message queue', 'message queues', 'message broker', 'celery', 'sidekiq', 'queue', 'queues', 'queued', 'background workers', 'background jobs', 'event-driven'] },
  { id: 'async', label: 'asynchronous processing', terms: ['asynchronous', 'asynchronously', 'async', 'background worker', 'background workers', 'background jobs', 'worker', 'event-driven', 'job id'] },
  { id: 'distributed', label: 'distributed systems', terms: ['distributed systems', 'distributed system', 'microservices', 'event-driven', 'at-least-once', 'exactly-once', 'multi-tenant'] },
  { id: 'resilience', label: 'resilience patterns', terms: ['retry', 'retries', 'retried', 'backoff', 'exponential backoff', 'circuit breaker', 'circuit breakers', 'idempotency', 'idempotent', 'idempotency keys', 'timeout', 'timeouts', 'dead-letter', 'dead-letter queues', 'dead letter', 'rate limiting', 'jitter', 'fallback', 'repair pass'] },
  { id: 'containers', label: 'containers', terms: ['docker', 'kubernetes', 'k8s', 'helm', 'ecs', 'containerised', 'containerized', 'docker compose', 'cloud run', 'aks', 'eks', 'gke'] },
  { id: 'cloud', generic: true, label: 'a cloud platform', terms: ['aws', 'gcp', 'google cloud', 'azure', 'cloud', 'lambda', 'heroku', 'cloud run'] },
  { id: 'cicd', label: 'CI/CD', terms: ['ci/cd', 'ci', 'github actions', 'gitlab ci', 'jenkins', 'azure devops', 'continuous integration', 'ci pipeline'] },
  { id: 'observability', label: 'monitoring and observability', terms: ['opentelemetry', 'prometheus', 'grafana', 'datadog', 'observability', 'monitoring', 'tracing', 'cloudwatch', 'alerting', 'alerts', 'slos', 'new relic'] },
  { id: 'llm', label: 'LLM integration', terms: ['llm', 'llms', 'large language models', 'large language model', 'openai', 'gpt', 'prompt', 'prompts', 'prompt engineering', 'prompt design', 'prompt chains', 'chaining', 'retrieval-augmented generation', 'embeddings', 'anthropic', 'langchain'], exact: ['LLM'] },
  { id: 'rag', label: 'retrieval (RAG) and vector databases', terms: ['rag', 'retrieval', 'retrieval-augmented generation', 'vector database', 'vector databases', 'pgvector', 'qdrant', 'pinecone', 'weaviate', 'embeddings', 'chroma'] },
  { id: 'testing', generic: true, label: 'automated testing', terms: ['tests', 'testing', 'unit tests', 'unit test', 'integration tests', 'integration test', 'jest', 'vitest', 'pytest', 'junit', 'xunit', 'rspec', 'testcontainers', 'tdd', 'test coverage', 'coverage', 'end-to-end tests'] },
  { id: 'docs', generic: true, label: 'documentation', terms: ['documentation', 'readme', 'docs', 'documented', 'data dictionary', 'architecture diagram', 'design choices', 'trade-offs', 'setup instructions', 'explains how to run', 'explain'] },
  { id: 'schema', generic: true, label: 'structured output and validation', terms: ['json schema', 'json-schema', 'schema', 'schema validation', 'pydantic', 'zod', 'validated', 'validation', 'structured output'] },
  { id: 'upload', generic: true, label: 'document upload and parsing', terms: ['upload', 'uploads', 'pdf', 'docx', 'documents'] },
  // clinical
  { id: 'rn', label: 'a registered nurse licence', terms: ['registered nurse', 'rn', 'rn licence', 'rn license', 'nclex', 'nclex-rn', 'bsn', 'msn'], credential: true },
  { id: 'bls', label: 'BLS/ACLS certification', terms: ['bls', 'acls', 'pals', 'tncc', 'basic life support', 'advanced cardiac life support'], credential: true },
  { id: 'acute', label: 'acute care nursing', terms: ['medical-surgical', 'med-surg', 'icu', 'intensive care', 'critical care', 'emergency department', 'step-down', 'acute care', 'post-operative', 'surgical patients', 'surgical unit', 'trauma', 'critically ill', 'acute medical'] },
  { id: 'assessment', label: 'patient assessment and care planning', terms: ['patient assessment', 'assessments', 'assess', 'assessed', 'care plans', 'care plan', 'nursing care', 'plan of care', 'triage', 'triaged', 'pain assessment'] },
  { id: 'medication', label: 'medication administration and IV therapy', terms: ['medication administration', 'administer medications', 'administered medications', 'administered iv medications', 'medications', 'iv therapy', 'iv lines', 'iv medications', 'blood products', 'sedation', 'medication'] },
  { id: 'vitals', label: 'monitoring vital signs', terms: ['vital signs', 'pain assessment', 'monitored patients', 'continuous monitoring'] },
  { id: 'wound', label: 'wound and post-operative care', terms: ['wound care', 'dressings', 'drains', 'post-operative care', 'skin care', 'skin checks', 'pressure injuries', 'pressure injury'] },
  { id: 'deterioration', label: 'escalating deterioration', terms: ['rapid response', 'deterioration', 'escalate', 'escalated', 'sepsis', 'cardiac arrests', 'resuscitation'] },
  { id: 'safety', label: 'falls, pressure-injury and infection prevention', terms: ['falls', 'falls prevention', 'fall risk', 'pressure injuries', 'pressure injury', 'infection control', 'patient safety', 'medication errors', 'medication safety'] },
  { id: 'ehr', label: 'electronic health records', terms: ['epic', 'cerner', 'electronic health record', 'ehr', 'documented care', 'document care'] },
  { id: 'education_pt', label: 'patient and family education', terms: ['patient education', 'educate patients', 'educated families', 'taught parents', 'teach patient', 'discharge', 'families about'] },
  { id: 'charge', label: 'charge nurse or preceptor experience', terms: ['charge nurse', 'preceptor', 'precept', 'preceptorship', 'relief charge nurse'] },
  { id: 'qi_baseline', label: 'baseline measurement', terms: ['baseline', 'measured', 'before the change', 'per 1,000 patient days', 'incident reports'] },
  { id: 'qi_rca', label: 'root cause analysis', terms: ['root cause analysis', 'root cause', 'fishbone', 'root causes'] },
  { id: 'qi_intervention', label: 'an evidence-based intervention', terms: ['intervention', 'protocol', 'checklist', 'hourly rounding', 'risk assessment tool', 'morse fall', 'bundle', 'evidence'] },
  { id: 'qi_training', label: 'staff education', terms: ['staff education', 'trained', 'training', 'educated staff', 'teaching sessions'] },
  { id: 'qi_pdsa', label: 'measurement after the change (PDSA)', terms: ['pdsa', 'pdsa cycles', 'compared with the baseline', 'after the change', 'tracked compliance', 'measurement'] },
  { id: 'qi_sustain', label: 'limitations and sustainability', terms: ['limitations', 'sustain', 'sustainability', 'ward policy', 'audits', 'audit'] },
  // data
  { id: 'sql_analytics', label: 'SQL for analysis', terms: ['sql', 'bigquery', 'snowflake', 'redshift', 'sql server', 'postgresql', 'queries', 'sql queries'] },
  { id: 'analysis_lang', label: 'Python or R for analysis', terms: ['python', 'pandas', 'numpy', 'jupyter', 'notebook', 'notebooks', 'scikit-learn', 'stata'], exact: ['R'] },
  { id: 'product_analysis', label: 'cohort, funnel, retention and churn analysis', terms: ['cohort analysis', 'cohort', 'cohorts', 'cohort analyses', 'funnel', 'funnels', 'retention', 'churn', 'segmentation', 'segment', 'segments'] },
  { id: 'experiments', label: 'A/B testing and experiments', terms: ['a/b tests', 'a/b test', 'a/b testing', 'a/b-tested', 'experiments', 'experimentation', 'experiment design', 'experiment analyses', 'sample sizes', 'power analysis'] },
  { id: 'statistics', label: 'statistics', terms: ['statistics', 'statistical', 'significance', 'hypothesis testing', 'hypothesis tests', 'confidence intervals', 'regression', 'logistic regression', 'econometrics', 'chi-square', 'p <', 'power'] },
  { id: 'bi', label: 'dashboards and BI tools', terms: ['dashboard', 'dashboards', 'looker', 'looker studio', 'tableau', 'power bi', 'data visualisation', 'data visualization', 'visualisations', 'visualizations', 'charts'] },
  { id: 'metrics', generic: true, label: 'metrics and KPI definition', terms: ['kpis', 'kpi', 'metrics', 'metric definitions', 'metric', 'activation metric'] },
  { id: 'data_quality', label: 'data quality and pipelines', terms: ['data quality', 'etl', 'dbt', 'data cleaning', 'validate', 'validated', 'data engineers', 'airflow'] },
  { id: 'stakeholders', generic: true, label: 'presenting insights to stakeholders', terms: ['stakeholders', 'presented findings', 'present findings', 'recommendations', 'presented', 'leadership team', 'product managers'] },
  { id: 'cleaning', label: 'data cleaning', terms: ['data cleaning', 'missing values', 'duplicates', 'duplicate rows', 'outliers', 'imputed', 'cleaned'] },
  { id: 'model', label: 'a statistical test or model', terms: ['logistic regression', 'regression', 'model', 'decision tree', 'statistical test', 'chi-square', 'auc', 'hold-out', 'accuracy', 'predicts'] },
  { id: 'reproducible', generic: true, label: 'reproducible notebook or scripts', terms: ['notebook', 'sql scripts', 'readme', 'reproducible', 'repository'] },
];

/** Evidence of working with others, as actions; adjectives ("team player") are not evidence. */
export const COLLABORATION_ACTIONS = [
  'mentored', 'mentor', 'mentoring', 'coached', 'coaching', 'trained', 'taught', 'teach', 'precept', 'preceptor',
  'paired', 'pairing', 'code reviews', 'reviewed code', 'code review', 'led the', 'led a', 'led weekly',
  'worked with', 'worked closely with', 'collaborated', 'cross-functional', 'coordinate', 'coordinated',
  'presented', 'onboarding', 'post-mortems', 'with designers', 'with the product', 'with product',
  'architecture review', 'educated', 'advised', 'einarbeitung',
];

/** Verbs of measurable outcome: with a number in the same sentence, an achievement. */
export const OUTCOME_WORDS = [
  'reduced', 'increased', 'improved', 'cut', 'raised', 'rose', 'fell', 'dropped', 'lifted', 'saved', 'grew',
  'exceeded', 'doubled', 'halved', 'shipped', 'reduce', 'by half', 'to zero', 'down', 'processing',
  'serving', 'handling',
];
