// The vocabulary's clinical and data-analysis families (see vocabulary.ts for how families work).
import { type Family, words } from './family.ts';

export const CLINICAL: Family[] = [
  {
    id: 'rn',
    label: 'a registered nurse licence',
    credential: true,
    terms: words('registered nurse | rn | rn licence | rn license | nclex | nclex-rn | bsn | msn'),
  },
  {
    id: 'bls',
    label: 'BLS/ACLS certification',
    credential: true,
    terms: words('bls | acls | pals | tncc | basic life support | advanced cardiac life support'),
  },
  {
    id: 'acute',
    label: 'acute care nursing',
    terms: words(
      'medical-surgical | med-surg | emergency department | step-down | acute care | post-operative |' +
        'surgical patients | surgical unit | trauma | acute medical',
    ),
  },
  {
    // a specialty of its own: an ICU post asks for it, a ward nurse's acute care is not it
    id: 'critical',
    label: 'intensive (critical) care nursing',
    terms: words(
      'icu | intensive care | intensive care unit | critical care | critically ill | ccrn |' +
        'mechanical ventilation | ventilated patients',
    ),
  },
  {
    id: 'assessment',
    label: 'patient assessment and care planning',
    terms: words(
      'patient assessment | assessments | assess | assessed | care plans | care plan |' +
        'nursing care | plan of care | triage | triaged | pain assessment',
    ),
  },
  {
    id: 'medication',
    label: 'medication administration and IV therapy',
    terms: words(
      'medication administration | administer medications | administered medications |' +
        'administered iv medications | medications | iv therapy | iv lines | iv medications |' +
        'blood products | sedation | medication',
    ),
  },
  {
    id: 'vitals',
    label: 'monitoring vital signs',
    terms: words('vital signs | pain assessment | monitored patients | continuous monitoring'),
  },
  {
    id: 'wound',
    label: 'wound and post-operative care',
    terms: words(
      'wound care | dressings | drains | post-operative care | skin care | skin checks |' +
        'pressure injuries | pressure injury',
    ),
  },
  {
    id: 'deterioration',
    label: 'escalating deterioration',
    terms: words(
      'rapid response | deterioration | escalate | escalated | sepsis | cardiac arrests |' + 'resuscitation',
    ),
  },
  {
    id: 'safety',
    label: 'falls, pressure-injury and infection prevention',
    terms: words(
      'falls | falls prevention | fall risk | pressure injuries | pressure injury |' +
        'infection control | patient safety | medication errors | medication safety',
    ),
  },
  {
    id: 'ehr',
    label: 'electronic health records',
    terms: words('epic | cerner | electronic health record | ehr | documented care | document care'),
  },
  {
    id: 'education_pt',
    label: 'patient and family education',
    terms: words(
      'patient education | educate patients | educated families | taught parents | teach patient |' +
        'discharge | families about',
    ),
  },
  {
    id: 'charge',
    label: 'charge nurse or preceptor experience',
    terms: words('charge nurse | preceptor | precept | preceptorship | relief charge nurse'),
  },
  {
    id: 'qi_baseline',
    label: 'baseline measurement',
    terms: words('baseline | measured | before the change | per 1,000 patient days | incident reports'),
  },
  {
    id: 'qi_rca',
    label: 'root cause analysis',
    terms: words('root cause analysis | root cause | fishbone | root causes'),
  },
  {
    id: 'qi_intervention',
    label: 'an evidence-based intervention',
    terms: words(
      'intervention | protocol | checklist | hourly rounding | risk assessment tool | morse fall |' +
        'bundle | evidence',
    ),
  },
  {
    id: 'qi_training',
    label: 'staff education',
    terms: words('staff education | trained | training | educated staff | teaching sessions'),
  },
  {
    id: 'qi_pdsa',
    label: 'measurement after the change (PDSA)',
    terms: words(
      'pdsa | pdsa cycles | compared with the baseline | after the change | tracked compliance |' +
        'measurement',
    ),
  },
  {
    id: 'qi_sustain',
    label: 'limitations and sustainability',
    terms: words('limitations | sustain | sustainability | ward policy | audits | audit'),
  },
];

export const DATA: Family[] = [
  {
    id: 'sql_analytics',
    label: 'SQL for analysis',
    terms: words('sql | bigquery | snowflake | redshift | sql server | postgresql | queries | sql queries'),
  },
  {
    id: 'analysis_lang',
    label: 'Python or R for analysis',
    terms: words('python | pandas | numpy | jupyter | notebook | notebooks | scikit-learn | stata'),
    exact: ['R'],
  },
  {
    id: 'product_analysis',
    label: 'cohort, funnel, retention and churn analysis',
    terms: words(
      'cohort analysis | cohort | cohorts | cohort analyses | funnel | funnels | retention |' +
        'churn | segmentation | segment | segments',
    ),
  },
  {
    id: 'experiments',
    label: 'A/B testing and experiments',
    terms: words(
      'a/b tests | a/b test | a/b testing | a/b-tested | experiments | experimentation |' +
        'experiment design | experiment analyses | sample sizes | power analysis',
    ),
  },
  {
    id: 'statistics',
    label: 'statistics',
    terms: words(
      'statistics | statistical | significance | hypothesis testing | hypothesis tests |' +
        'confidence intervals | regression | logistic regression | econometrics | chi-square | p < |' +
        'statistical power | statistical test',
    ),
  },
  {
    id: 'bi',
    label: 'dashboards and BI tools',
    terms: words(
      'dashboard | dashboards | looker | looker studio | tableau | power bi | data visualisation |' +
        'visualisation | visualization | chart |' +
        'data visualization | visualisations | visualizations | charts',
    ),
  },
  {
    id: 'ml',
    label: 'machine learning',
    terms: words(
      'machine learning | deep learning | pytorch | tensorflow | keras | scikit-learn | xgboost |' +
        'lightgbm | neural networks | neural network | feature engineering | mlops | mlflow |' +
        'model registry | model training | computer vision',
    ),
    exact: ['ML'],
  },
  {
    id: 'modelling',
    label: 'data modelling and warehousing',
    terms: words(
      'data model | data models | data modelling | data modeling | dimensional modelling |' +
        'dimensional model | star schema | star-schema | snowflake schema | fact table | fact tables |' +
        'dimension table | dimension tables | data warehouse | data warehouses | semantic layer | data mart',
    ),
  },
  {
    // an engine, not a product analysis: what a data-engineering job means by "large datasets"
    id: 'big_data',
    label: 'distributed data processing (Spark)',
    terms: words(
      'spark | apache spark | pyspark | spark sql | spark streaming | structured streaming | databricks |' +
        'hadoop | mapreduce | hdfs | apache hive | hiveql | flink | apache flink | apache beam | dask |' +
        'emr | dataproc | distributed processing | distributed data processing',
    ),
  },
  {
    id: 'spreadsheets',
    label: 'spreadsheets (Excel)',
    terms: words(
      'excel | spreadsheet | spreadsheets | pivot tables | pivot table | vlookup | google sheets | vba',
    ),
  },
  {
    id: 'metrics',
    label: 'metrics and KPI definition',
    generic: true,
    terms: words('kpis | kpi | metrics | metric definitions | metric | activation metric'),
  },
  {
    id: 'data_quality',
    label: 'data quality and pipelines',
    terms: words(
      'data quality | etl | dbt | data cleaning | validate | validated | data engineers | airflow |' +
        'data pipeline | etl pipeline | elt | dagster | prefect',
    ),
  },
  {
    id: 'stakeholders',
    label: 'presenting insights to stakeholders',
    generic: true,
    terms: words(
      'stakeholders | presented findings | present findings | recommendations | presented |' +
        'leadership team | product managers',
    ),
  },
  {
    id: 'cleaning',
    label: 'data cleaning',
    terms: words(
      'data cleaning | missing values | duplicates | duplicate rows | outliers | imputed |' + 'cleaned',
    ),
  },
  {
    id: 'model',
    label: 'a statistical test or model',
    terms: words(
      'logistic regression | regression | model | decision tree | statistical test | chi-square |' +
        'auc | hold-out | accuracy | predicts',
    ),
  },
  {
    id: 'reproducible',
    label: 'reproducible notebook or scripts',
    generic: true,
    terms: words('notebook | sql scripts | readme | reproducible | repository'),
  },
];
