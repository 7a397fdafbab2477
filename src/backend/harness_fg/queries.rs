//! The GraphQL documents the client sends (spec 4.2 to 4.5). Each is a single operation with
//! variables, so values are never spliced into query text.

/// Fields of a pipeline or workflow and its variables.
const ENTITY_FIELDS: &str = "id name description";
const VARIABLE_FIELDS: &str = "name type required allowedValues defaultValue fixed";

/// Applications with their first page of pipelines and workflows, in one request.
pub(crate) fn applications(page: i64) -> String {
    format!(
        "query($limit: Int!, $offset: Int) {{ applications(limit: $limit, offset: $offset) {{ \
         pageInfo {{ hasMore total }} nodes {{ id name \
         pipelines(limit: {page}) {{ pageInfo {{ hasMore total }} nodes {{ {ENTITY_FIELDS} pipelineVariables {{ {VARIABLE_FIELDS} }} }} }} \
         workflows(limit: {page}) {{ pageInfo {{ hasMore total }} nodes {{ {ENTITY_FIELDS} workflowVariables {{ {VARIABLE_FIELDS} }} }} }} }} }} }}"
    )
}

/// Further pages of one application's pipelines or workflows (`field` is `pipelines` or
/// `workflows`).
pub(crate) fn entities(field: &str) -> String {
    let vars = if field == "workflows" {
        "workflowVariables"
    } else {
        "pipelineVariables"
    };
    format!(
        "query($app: String!, $limit: Int!, $offset: Int) {{ {field}(filters: [{{application: {{operator: EQUALS, values: [$app]}}}}], limit: $limit, offset: $offset) {{ \
         pageInfo {{ hasMore total }} nodes {{ {ENTITY_FIELDS} {vars} {{ {VARIABLE_FIELDS} }} }} }} }}"
    )
}

/// One pipeline or workflow by id (`field` is `pipeline` or `workflow`).
pub(crate) fn entity(field: &str) -> String {
    let (arg, vars) = if field == "workflow" {
        ("workflowId", "workflowVariables")
    } else {
        ("pipelineId", "pipelineVariables")
    };
    format!(
        "query($id: String!) {{ {field}({arg}: $id) {{ {ENTITY_FIELDS} {vars} {{ {VARIABLE_FIELDS} }} }} }}"
    )
}

pub(crate) const EXECUTION_INPUTS: &str = "query($app: String!, $entity: String!, $type: ExecutionType!) { \
     executionInputs(applicationId: $app, entityId: $entity, executionType: $type) { serviceInputs { name artifactSources { name } } } }";

const EXECUTION_FIELDS: &str = "__typename id executionUrl status createdAt startedAt endedAt failureDetails \
     application { id name } \
     cause { __typename ... on ExecutedByUser { user { name email } } ... on ExecutedByAPIKey { apiKey { name } } ... on ExecutedByTrigger { trigger { name } } } \
     ... on PipelineExecution { pipeline { id name } pipelineStageExecutions { __typename pipelineStageName pipelineStepName \
       ... on ApprovalStageExecution { status } ... on WorkflowStageExecution { status } } } \
     ... on WorkflowExecution { workflow { id name } }";

/// Recent executions, newest first; `$filters` narrows by application and status.
pub(crate) fn executions() -> String {
    format!(
        "query($filters: [ExecutionFilter], $limit: Int!, $offset: Int) {{ executions(filters: $filters, limit: $limit, offset: $offset) {{ \
         pageInfo {{ hasMore total }} nodes {{ {EXECUTION_FIELDS} }} }} }}"
    )
}

pub(crate) fn execution() -> String {
    format!("query($id: String!) {{ execution(executionId: $id) {{ {EXECUTION_FIELDS} }} }}")
}

/// The inputs one execution was started with: a workflow run's own `inputVariables`, a
/// pipeline run's per workflow stage (the pipeline's variables as each stage received them).
pub(crate) const RUN_INPUTS: &str = "query($id: String!) { execution(executionId: $id) { \
     __typename id status application { id name } \
     ... on PipelineExecution { pipeline { id name } pipelineStageExecutions { __typename \
       status ... on WorkflowStageExecution { inputVariables { name value } } } } \
     ... on WorkflowExecution { workflow { id name } inputVariables { name value } } } }";

const APPROVAL_FIELDS: &str = "approvalDetails { \
     approvalId approvalType stepName stageName startedAt willExpireAt triggeredBy { name email } \
     ... on UserGroupApprovalDetails { approvers executionId variables { name value } } }";

/// One document reading the gates of `n` executions, the fields aliased `g0`, `g1`…, with
/// variables `$app0`/`$exec0`…: the account's GraphQL budget (30 calls a minute) counts
/// requests, not fields, so a read of the gates costs one call however many wait.
pub(crate) fn approval_details(n: usize) -> String {
    let variables: Vec<String> = (0..n)
        .map(|i| format!("$app{i}: String!, $exec{i}: String!"))
        .collect();
    let fields: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{}: approvalDetails(applicationId: $app{i}, executionId: $exec{i}) {{ {APPROVAL_FIELDS} }}",
                approval_alias(i)
            )
        })
        .collect();
    format!("query({}) {{ {} }}", variables.join(", "), fields.join(" "))
}

/// The alias of the `i`th execution's field in [`approval_details`].
pub(crate) fn approval_alias(i: usize) -> String {
    format!("g{i}")
}

pub(crate) const START_EXECUTION: &str = "mutation($in: StartExecutionInput!) { \
     startExecution(input: $in) { clientMutationId warningMessage execution { id status __typename \
       ... on PipelineExecution { pipelineStageExecutions { __typename status } } } } }";

pub(crate) const DECIDE: &str = "mutation($in: ApproveOrRejectApprovalsInput!) { \
     approveOrRejectApprovals(input: $in) { success clientMutationId } }";
