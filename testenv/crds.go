package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

// standIn is one custom resource that nsaas's bundles or its deploy stack use. The testenv
// installs a minimal stand-in CRD for it: the real group, version, kind, plural and scope, and a
// structural schema that keeps every field (x-kubernetes-preserve-unknown-fields). It is NOT the
// project's real CRD: the API server stores and serves these objects, but validates none of
// their fields and no operator acts on them.
type standIn struct {
	group, version, kind, plural string
	clusterScoped                bool
}

// standIns: Istio, Prometheus Operator, External Secrets, Argo Workflows, Velero and Flux kinds.
var standIns = []standIn{
	{"networking.istio.io", "v1", "Gateway", "gateways", false},
	{"networking.istio.io", "v1", "VirtualService", "virtualservices", false},
	{"networking.istio.io", "v1", "DestinationRule", "destinationrules", false},
	{"networking.istio.io", "v1", "Sidecar", "sidecars", false},
	{"security.istio.io", "v1", "PeerAuthentication", "peerauthentications", false},
	{"security.istio.io", "v1", "AuthorizationPolicy", "authorizationpolicies", false},
	{"monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", false},
	{"monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", false},
	{"external-secrets.io", "v1beta1", "ExternalSecret", "externalsecrets", false},
	{"external-secrets.io", "v1beta1", "SecretStore", "secretstores", false},
	{"external-secrets.io", "v1beta1", "ClusterSecretStore", "clustersecretstores", true},
	{"argoproj.io", "v1alpha1", "Workflow", "workflows", false},
	{"argoproj.io", "v1alpha1", "WorkflowTemplate", "workflowtemplates", false},
	{"velero.io", "v1", "Schedule", "schedules", false},
	{"velero.io", "v1", "Backup", "backups", false},
	{"source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories", false},
	{"source.toolkit.fluxcd.io", "v1", "HelmRepository", "helmrepositories", false},
	{"kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations", false},
	{"helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases", false},
}

const standInNote = "Minimal stand-in installed by nsaas's kube-testenv for tests: real group, version and " +
	"kind, but every field is preserved unvalidated and no operator acts on these objects. Not the project's real CRD."

func (s standIn) definition() *apiextensionsv1.CustomResourceDefinition {
	preserve := true
	scope := apiextensionsv1.NamespaceScoped
	if s.clusterScoped {
		scope = apiextensionsv1.ClusterScoped
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{
			Name:        s.plural + "." + s.group,
			Labels:      map[string]string{"testenv.nsaas.dev/stand-in": "true"},
			Annotations: map[string]string{"testenv.nsaas.dev/note": standInNote},
		},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: s.group,
			Scope: scope,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Kind:     s.kind,
				ListKind: s.kind + "List",
				Plural:   s.plural,
				Singular: strings.ToLower(s.kind),
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name:    s.version,
				Served:  true,
				Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type:                   "object",
					Description:            standInNote,
					XPreserveUnknownFields: &preserve,
				}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
			}},
		},
	}
}

// installStandIns creates every stand-in CRD (an existing one is left as it is) and waits until
// the API server has established all of them.
func installStandIns(ctx context.Context, config *rest.Config) error {
	client, err := apiextensions.NewForConfig(config)
	if err != nil {
		return err
	}
	crds := client.ApiextensionsV1().CustomResourceDefinitions()
	for _, s := range standIns {
		if _, err := crds.Create(ctx, s.definition(), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create stand-in CRD %s.%s: %w", s.plural, s.group, err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, s := range standIns {
			crd, err := crds.Get(ctx, s.plural+"."+s.group, metav1.GetOptions{})
			if err != nil {
				return false, nil //nolint:nilerr // not yet visible: poll again
			}
			if !established(crd) {
				return false, nil
			}
		}
		return true, nil
	})
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, condition := range crd.Status.Conditions {
		if condition.Type == apiextensionsv1.Established && condition.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}
