//! Knowledge-base reads: each knowledge base's detail, its data sources and their ingestion jobs.

use super::{failed, list_missing, non_empty, Reader};
use crate::inventory::*;
use futures::future::join_all;

impl Reader {
    /// `bedrock-agent:ListKnowledgeBases` + the detail and data sources of each.
    pub(super) async fn knowledge_bases(&self) -> Read<Vec<KnowledgeBase>> {
        let summaries = self
            .paged(
                "bedrock-agent:ListKnowledgeBases",
                list_missing,
                |t| self.agent.list_knowledge_bases().set_next_token(t).send(),
                |p| {
                    p.knowledge_base_summaries()
                        .iter()
                        .map(|kb| (kb.knowledge_base_id().to_owned(), kb.name().to_owned()))
                        .collect()
                },
            )
            .await?;
        Ok(join_all(summaries.into_iter().map(|(id, name)| async move {
            let (data_sources, detail) = tokio::join!(self.data_sources(&id), self.kb_detail(&id));
            KnowledgeBase {
                id,
                name,
                data_sources,
                detail,
            }
        }))
        .await)
    }

    /// `bedrock-agent:GetKnowledgeBase`.
    async fn kb_detail(&self, id: &str) -> Read<KbDetail> {
        let out = self
            .call(
                "bedrock-agent:GetKnowledgeBase",
                self.agent.get_knowledge_base().knowledge_base_id(id).send(),
            )
            .await?;
        let kb = out
            .knowledge_base()
            .ok_or_else(|| Missing::Failed("GetKnowledgeBase returned no knowledgeBase".into()))?;
        let storage = kb.storage_configuration();
        let credentials_secret = storage.and_then(|s| {
            s.pinecone_configuration()
                .map(|c| c.credentials_secret_arn().to_owned())
                .or_else(|| {
                    s.redis_enterprise_cloud_configuration()
                        .map(|c| c.credentials_secret_arn().to_owned())
                })
                .or_else(|| {
                    s.mongo_db_atlas_configuration()
                        .map(|c| c.credentials_secret_arn().to_owned())
                })
                .or_else(|| {
                    s.rds_configuration()
                        .map(|c| c.credentials_secret_arn().to_owned())
                })
        });
        Ok(KbDetail {
            arn: kb.knowledge_base_arn().to_owned(),
            status: Some(kb.status().as_str().to_owned()),
            kind: kb
                .knowledge_base_configuration()
                .map(|c| c.r#type().as_str().to_owned()),
            storage: storage.map(|s| s.r#type().as_str().to_owned()),
            credentials_secret: credentials_secret.filter(|s| !s.is_empty()),
            role_arn: non_empty(kb.role_arn()),
        })
    }

    /// `bedrock-agent:ListDataSources` + `GetDataSource` (+ ingestion jobs) of each.
    async fn data_sources(&self, kb: &str) -> Read<Vec<DataSource>> {
        let summaries = self
            .paged(
                "bedrock-agent:ListDataSources",
                failed,
                |t| {
                    self.agent
                        .list_data_sources()
                        .knowledge_base_id(kb)
                        .set_next_token(t)
                        .send()
                },
                |p| {
                    p.data_source_summaries()
                        .iter()
                        .map(|ds| (ds.data_source_id().to_owned(), ds.name().to_owned()))
                        .collect()
                },
            )
            .await?;
        Ok(join_all(summaries.into_iter().map(|(id, name)| async move {
            let got = self
                .call(
                    "bedrock-agent:GetDataSource",
                    self.agent
                        .get_data_source()
                        .knowledge_base_id(kb)
                        .data_source_id(&id)
                        .send(),
                )
                .await
                .and_then(|o| {
                    o.data_source().cloned().ok_or_else(|| {
                        Missing::Failed("GetDataSource returned no dataSource".into())
                    })
                });
            let kms_key_arn = got.as_ref().map_err(Clone::clone).map(|ds| {
                ds.server_side_encryption_configuration()
                    .and_then(|s| s.kms_key_arn())
                    .map(str::to_owned)
            });
            let detail = match &got {
                Err(m) => Err(m.clone()),
                Ok(ds) => Ok(DataSourceDetail {
                    status: Some(ds.status().as_str().to_owned()),
                    deletion_policy: ds.data_deletion_policy().map(|p| p.as_str().to_owned()),
                    failure_reasons: ds.failure_reasons().to_vec(),
                    bucket_arn: ds
                        .data_source_configuration()
                        .and_then(|c| c.s3_configuration())
                        .and_then(|c| non_empty(c.bucket_arn())),
                    ingestion_jobs: self.ingestion_jobs(kb, &id).await,
                }),
            };
            DataSource {
                id,
                name,
                kms_key_arn,
                detail,
            }
        }))
        .await)
    }

    /// `bedrock-agent:ListIngestionJobs` of one data source: (status, updatedAt).
    async fn ingestion_jobs(&self, kb: &str, ds: &str) -> Read<Vec<(String, i64)>> {
        self.paged(
            "bedrock-agent:ListIngestionJobs",
            failed,
            |t| {
                self.agent
                    .list_ingestion_jobs()
                    .knowledge_base_id(kb)
                    .data_source_id(ds)
                    .set_next_token(t)
                    .send()
            },
            |p| {
                p.ingestion_job_summaries()
                    .iter()
                    .map(|j| (j.status().as_str().to_owned(), j.updated_at().secs()))
                    .collect()
            },
        )
        .await
    }
}
