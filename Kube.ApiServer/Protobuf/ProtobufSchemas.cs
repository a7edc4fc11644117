namespace Kube.ApiServer.Protobuf;

/// <summary>
/// Field numbers of the k8s.io/api protobuf messages kubectl's typed create commands send (generated.proto):
/// ObjectMeta, Namespace, ConfigMap, Secret, a Deployment with its pod template's common fields, RBAC roles and bindings,
/// ResourceQuota, Service, PriorityClass, PodDisruptionBudget and Ingress.
/// </summary>
internal static class ProtobufSchemas
{
    /// <summary>
    /// <c>Quantity</c> is resource.Quantity (a message with the string form in field 1); <c>QuantityMap</c> is a
    /// <c>map&lt;string, Quantity&gt;</c> such as ResourceList.
    /// </summary>
    public enum FieldType { String, Bytes, Int, Bool, Message, StringMap, BytesMap, IntOrString, Quantity, QuantityMap }

    /// <summary>
    /// A message field. <paramref name="Pointer"/> marks Go pointer fields (<c>*int32</c>, <c>*bool</c>, <c>*string</c>): Go's
    /// protobuf marshalling writes a non-pointer scalar even when it is the zero value, which JSON would omit, so a
    /// zero non-pointer scalar decodes as absent (and is then defaulted, as upstream does). <paramref name="Inline"/> marks an
    /// embedded struct with <c>json:",inline"</c> (IngressRule's IngressRuleValue): its fields are merged into the parent.
    /// </summary>
    public sealed record Field(string Name, FieldType Type, bool Repeated = false, Schema? Message = null, bool Pointer = false, bool Inline = false);

    public sealed class Schema
    {
        public Dictionary<int, Field> Fields { get; } = [];

        public Schema Add(int number, string name, FieldType type, bool repeated = false, Schema? message = null)
        {
            Fields[number] = new Field(name, type, repeated, message);
            return this;
        }

        /// <summary>Adds an embedded message whose JSON form is inlined into this one.</summary>
        public Schema Embed(int number, Schema message)
        {
            Fields[number] = new Field("", FieldType.Message, Message: message, Inline: true);
            return this;
        }

        /// <summary>Adds a Go pointer field: its zero value is kept.</summary>
        public Schema Ptr(int number, string name, FieldType type)
        {
            Fields[number] = new Field(name, type, Pointer: true);
            return this;
        }
    }

    private static readonly Schema OwnerReference = new Schema()
        .Add(5, "apiVersion", FieldType.String).Add(1, "kind", FieldType.String).Add(3, "name", FieldType.String)
        .Add(4, "uid", FieldType.String).Ptr(6, "controller", FieldType.Bool).Ptr(7, "blockOwnerDeletion", FieldType.Bool);

    private static readonly Schema ObjectMeta = new Schema()
        .Add(1, "name", FieldType.String).Add(2, "generateName", FieldType.String).Add(3, "namespace", FieldType.String)
        .Add(11, "labels", FieldType.StringMap).Add(12, "annotations", FieldType.StringMap)
        .Add(13, "ownerReferences", FieldType.Message, true, OwnerReference).Add(14, "finalizers", FieldType.String, true);

    private static readonly Schema LabelSelectorRequirement = new Schema()
        .Add(1, "key", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.String, true);

    private static readonly Schema LabelSelector = new Schema()
        .Add(1, "matchLabels", FieldType.StringMap).Add(2, "matchExpressions", FieldType.Message, true, LabelSelectorRequirement);

    private static readonly Schema ContainerPort = new Schema()
        .Add(1, "name", FieldType.String).Add(2, "hostPort", FieldType.Int).Add(3, "containerPort", FieldType.Int)
        .Add(4, "protocol", FieldType.String).Add(5, "hostIP", FieldType.String);

    private static readonly Schema EnvVar = new Schema().Add(1, "name", FieldType.String).Add(2, "value", FieldType.String);

    private static readonly Schema ResourceRequirements = new Schema()
        .Add(1, "limits", FieldType.QuantityMap).Add(2, "requests", FieldType.QuantityMap);

    private static readonly Schema Container = new Schema()
        .Add(1, "name", FieldType.String).Add(2, "image", FieldType.String).Add(3, "command", FieldType.String, true)
        .Add(4, "args", FieldType.String, true).Add(5, "workingDir", FieldType.String).Add(6, "ports", FieldType.Message, true, ContainerPort)
        .Add(7, "env", FieldType.Message, true, EnvVar).Add(8, "resources", FieldType.Message, false, ResourceRequirements)
        .Add(13, "terminationMessagePath", FieldType.String).Add(14, "imagePullPolicy", FieldType.String);

    private static readonly Schema PodSpec = new Schema()
        .Add(2, "containers", FieldType.Message, true, Container).Add(3, "restartPolicy", FieldType.String)
        .Ptr(4, "terminationGracePeriodSeconds", FieldType.Int).Add(6, "dnsPolicy", FieldType.String)
        .Add(7, "nodeSelector", FieldType.StringMap).Add(8, "serviceAccountName", FieldType.String).Add(10, "nodeName", FieldType.String)
        .Add(20, "initContainers", FieldType.Message, true, Container).Add(19, "schedulerName", FieldType.String);

    private static readonly Schema PodTemplateSpec = new Schema()
        .Add(1, "metadata", FieldType.Message, false, ObjectMeta).Add(2, "spec", FieldType.Message, false, PodSpec);

    private static readonly Schema RollingUpdateDeployment = new Schema()
        .Ptr(1, "maxUnavailable", FieldType.IntOrString).Ptr(2, "maxSurge", FieldType.IntOrString);

    private static readonly Schema DeploymentStrategy = new Schema()
        .Add(1, "type", FieldType.String).Add(2, "rollingUpdate", FieldType.Message, false, RollingUpdateDeployment);

    private static readonly Schema DeploymentSpec = new Schema()
        .Ptr(1, "replicas", FieldType.Int).Add(2, "selector", FieldType.Message, false, LabelSelector)
        .Add(3, "template", FieldType.Message, false, PodTemplateSpec).Add(4, "strategy", FieldType.Message, false, DeploymentStrategy)
        .Add(5, "minReadySeconds", FieldType.Int).Ptr(6, "revisionHistoryLimit", FieldType.Int).Add(7, "paused", FieldType.Bool)
        .Ptr(9, "progressDeadlineSeconds", FieldType.Int);

    private static readonly Schema Empty = new();

    private static readonly Schema JobSpec = new Schema()
        .Ptr(1, "parallelism", FieldType.Int).Ptr(2, "completions", FieldType.Int).Ptr(3, "activeDeadlineSeconds", FieldType.Int)
        .Add(4, "selector", FieldType.Message, false, LabelSelector).Ptr(5, "manualSelector", FieldType.Bool)
        .Add(6, "template", FieldType.Message, false, PodTemplateSpec).Ptr(7, "backoffLimit", FieldType.Int)
        .Ptr(8, "ttlSecondsAfterFinished", FieldType.Int).Ptr(9, "completionMode", FieldType.String).Ptr(10, "suspend", FieldType.Bool);

    private static readonly Schema JobTemplateSpec = new Schema()
        .Add(1, "metadata", FieldType.Message, false, ObjectMeta).Add(2, "spec", FieldType.Message, false, JobSpec);

    private static readonly Schema CronJobSpec = new Schema()
        .Add(1, "schedule", FieldType.String).Ptr(2, "startingDeadlineSeconds", FieldType.Int).Add(3, "concurrencyPolicy", FieldType.String)
        .Ptr(4, "suspend", FieldType.Bool).Add(5, "jobTemplate", FieldType.Message, false, JobTemplateSpec)
        .Ptr(6, "successfulJobsHistoryLimit", FieldType.Int).Ptr(7, "failedJobsHistoryLimit", FieldType.Int).Ptr(8, "timeZone", FieldType.String);

    private static readonly Schema ResourceAttributes = new Schema()
        .Add(1, "namespace", FieldType.String).Add(2, "verb", FieldType.String).Add(3, "group", FieldType.String)
        .Add(4, "version", FieldType.String).Add(5, "resource", FieldType.String).Add(6, "subresource", FieldType.String).Add(7, "name", FieldType.String);

    private static readonly Schema NonResourceAttributes = new Schema().Add(1, "path", FieldType.String).Add(2, "verb", FieldType.String);

    // rbac.authorization.k8s.io/v1
    private static readonly Schema PolicyRule = new Schema()
        .Add(1, "verbs", FieldType.String, true).Add(2, "apiGroups", FieldType.String, true).Add(3, "resources", FieldType.String, true)
        .Add(4, "resourceNames", FieldType.String, true).Add(5, "nonResourceURLs", FieldType.String, true);

    private static readonly Schema Subject = new Schema()
        .Add(1, "kind", FieldType.String).Add(2, "apiGroup", FieldType.String).Add(3, "name", FieldType.String).Add(4, "namespace", FieldType.String);

    private static readonly Schema RoleRef = new Schema()
        .Add(1, "apiGroup", FieldType.String).Add(2, "kind", FieldType.String).Add(3, "name", FieldType.String);

    private static readonly Schema AggregationRule = new Schema().Add(1, "clusterRoleSelectors", FieldType.Message, true, LabelSelector);

    private static readonly Schema Binding = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
        .Add(2, "subjects", FieldType.Message, true, Subject).Add(3, "roleRef", FieldType.Message, false, RoleRef);

    // core/v1 ResourceQuota
    private static readonly Schema ScopedResourceSelectorRequirement = new Schema()
        .Add(1, "scopeName", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.String, true);

    private static readonly Schema ResourceQuotaSpec = new Schema()
        .Add(1, "hard", FieldType.QuantityMap).Add(2, "scopes", FieldType.String, true)
        .Add(3, "scopeSelector", FieldType.Message, false, new Schema().Add(1, "matchExpressions", FieldType.Message, true, ScopedResourceSelectorRequirement));

    // core/v1 Service
    private static readonly Schema ServicePort = new Schema()
        .Add(1, "name", FieldType.String).Add(2, "protocol", FieldType.String).Add(3, "port", FieldType.Int)
        .Add(4, "targetPort", FieldType.IntOrString).Add(5, "nodePort", FieldType.Int).Ptr(6, "appProtocol", FieldType.String);

    private static readonly Schema ServiceSpec = new Schema()
        .Add(1, "ports", FieldType.Message, true, ServicePort).Add(2, "selector", FieldType.StringMap).Add(3, "clusterIP", FieldType.String)
        .Add(4, "type", FieldType.String).Add(5, "externalIPs", FieldType.String, true).Add(7, "sessionAffinity", FieldType.String)
        .Add(8, "loadBalancerIP", FieldType.String).Add(9, "loadBalancerSourceRanges", FieldType.String, true)
        .Add(10, "externalName", FieldType.String).Add(11, "externalTrafficPolicy", FieldType.String).Add(12, "healthCheckNodePort", FieldType.Int)
        .Add(13, "publishNotReadyAddresses", FieldType.Bool).Ptr(17, "ipFamilyPolicy", FieldType.String).Add(18, "clusterIPs", FieldType.String, true)
        .Add(19, "ipFamilies", FieldType.String, true).Ptr(20, "allocateLoadBalancerNodePorts", FieldType.Bool)
        .Ptr(21, "loadBalancerClass", FieldType.String).Ptr(22, "internalTrafficPolicy", FieldType.String);

    // policy/v1
    private static readonly Schema PodDisruptionBudgetSpec = new Schema()
        .Ptr(1, "minAvailable", FieldType.IntOrString).Add(2, "selector", FieldType.Message, false, LabelSelector)
        .Ptr(3, "maxUnavailable", FieldType.IntOrString).Ptr(4, "unhealthyPodEvictionPolicy", FieldType.String);

    // networking.k8s.io/v1
    private static readonly Schema IngressBackend = new Schema()
        .Add(3, "resource", FieldType.Message, false, new Schema()
            .Ptr(1, "apiGroup", FieldType.String).Add(2, "kind", FieldType.String).Add(3, "name", FieldType.String))
        .Add(4, "service", FieldType.Message, false, new Schema()
            .Add(1, "name", FieldType.String)
            .Add(2, "port", FieldType.Message, false, new Schema().Add(1, "name", FieldType.String).Add(2, "number", FieldType.Int)));

    private static readonly Schema HttpIngressPath = new Schema()
        .Add(1, "path", FieldType.String).Add(2, "backend", FieldType.Message, false, IngressBackend).Ptr(3, "pathType", FieldType.String);

    private static readonly Schema IngressRule = new Schema()
        .Add(1, "host", FieldType.String)
        .Embed(2, new Schema().Add(1, "http", FieldType.Message, false, new Schema().Add(1, "paths", FieldType.Message, true, HttpIngressPath)));

    private static readonly Schema IngressSpec = new Schema()
        .Add(1, "defaultBackend", FieldType.Message, false, IngressBackend)
        .Add(2, "tls", FieldType.Message, true, new Schema().Add(1, "hosts", FieldType.String, true).Add(2, "secretName", FieldType.String))
        .Add(3, "rules", FieldType.Message, true, IngressRule).Ptr(4, "ingressClassName", FieldType.String);

    public static readonly Dictionary<(string ApiVersion, string Kind), Schema> Kinds = new()
    {
        [("rbac.authorization.k8s.io/v1", "Role")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "rules", FieldType.Message, true, PolicyRule),
        [("rbac.authorization.k8s.io/v1", "ClusterRole")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "rules", FieldType.Message, true, PolicyRule).Add(3, "aggregationRule", FieldType.Message, false, AggregationRule),
        [("rbac.authorization.k8s.io/v1", "RoleBinding")] = Binding,
        [("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")] = Binding,
        [("v1", "ResourceQuota")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, ResourceQuotaSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("v1", "Service")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, ServiceSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("scheduling.k8s.io/v1", "PriorityClass")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Ptr(2, "value", FieldType.Int).Add(3, "globalDefault", FieldType.Bool).Add(4, "description", FieldType.String)
            .Ptr(5, "preemptionPolicy", FieldType.String),
        [("policy/v1", "PodDisruptionBudget")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, PodDisruptionBudgetSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("networking.k8s.io/v1", "Ingress")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, IngressSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("authorization.k8s.io/v1", "SelfSubjectAccessReview")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema()
                .Add(1, "resourceAttributes", FieldType.Message, false, ResourceAttributes)
                .Add(2, "nonResourceAttributes", FieldType.Message, false, NonResourceAttributes)),
        [("authentication.k8s.io/v1", "SelfSubjectReview")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta),
        [("authentication.k8s.io/v1", "TokenRequest")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema()
                .Add(1, "audiences", FieldType.String, true)
                .Add(3, "boundObjectRef", FieldType.Message, false, new Schema()
                    .Add(1, "kind", FieldType.String).Add(2, "apiVersion", FieldType.String).Add(3, "name", FieldType.String).Add(4, "uid", FieldType.String))
                .Ptr(4, "expirationSeconds", FieldType.Int)),
        [("v1", "Namespace")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema().Add(1, "finalizers", FieldType.String, true)),
        [("v1", "ConfigMap")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "data", FieldType.StringMap).Add(3, "binaryData", FieldType.BytesMap).Ptr(4, "immutable", FieldType.Bool),
        [("v1", "Secret")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "data", FieldType.BytesMap).Add(3, "type", FieldType.String).Add(4, "stringData", FieldType.StringMap).Ptr(5, "immutable", FieldType.Bool),
        [("v1", "ServiceAccount")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Ptr(4, "automountServiceAccountToken", FieldType.Bool),
        [("batch/v1", "Job")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, JobSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("batch/v1", "CronJob")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, CronJobSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("apps/v1", "Deployment")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, DeploymentSpec).Add(3, "status", FieldType.Message, false, Empty),
    };
}
