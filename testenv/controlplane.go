package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	apiserveroptions "k8s.io/kubernetes/cmd/kube-apiserver/app/options"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	controllermanageroptions "k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
)

// controllers kube-controller-manager runs: what nsaas relies on (namespace finalization, quota
// status, garbage collection, service accounts and their tokens, the aggregated admin/edit/view
// roles, the kube-root-ca.crt ConfigMap). Workload controllers are left out: nothing runs pods.
var controllers = []string{
	"namespace-controller",
	"resourcequota-controller",
	"garbage-collector-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"clusterrole-aggregation-controller",
	"root-ca-certificate-publisher-controller",
}

// admission is the API server's admission chain: the defaults of a managed cluster, with
// ValidatingAdmissionPolicy (the guardrail) and NodeRestriction named explicitly.
var admission = []string{
	"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "NodeRestriction", "DefaultStorageClass",
	"DefaultTolerationSeconds", "PodSecurity", "Priority", "RuntimeClass", "DefaultIngressClass",
	"StorageObjectInUseProtection", "PersistentVolumeClaimResize", "CertificateApproval", "CertificateSigning",
	"ClusterTrustBundleAttest", "CertificateSubjectRestriction", "TaintNodesByCondition",
	"MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota",
}

type component struct {
	cancel context.CancelFunc
	done   chan error
}

// stopWithin cancels the component and waits for it to return, at most the given time.
func (c *component) stopWithin(name string, timeout time.Duration) error {
	if c == nil {
		return nil
	}
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s did not stop within %s", name, timeout)
	}
}

type controlPlane struct {
	dir             string
	ca              *authority
	adminKubeconfig string
	etcd            *embed.Etcd
	apiServer       *component
	controllers     *component
	// failed receives the error of a component that returned while it should be running.
	failed chan error
}

func newControlPlane(dir string) (*controlPlane, error) {
	ca, err := newAuthority(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, err
	}
	return &controlPlane{dir: dir, ca: ca, adminKubeconfig: filepath.Join(dir, "admin.kubeconfig"), failed: make(chan error, 2)}, nil
}

func (p *controlPlane) start(ctx context.Context) error {
	etcdURL, err := p.startEtcd()
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := "https://" + listener.Addr().String()
	if err := p.startAPIServer(listener, etcdURL); err != nil {
		return fmt.Errorf("kube-apiserver: %w", err)
	}
	admin, err := p.writeKubeconfig(p.adminKubeconfig, server, "admin", "kubernetes-admin", []string{"system:masters"})
	if err != nil {
		return err
	}
	if err := p.waitReady(ctx, admin); err != nil {
		return fmt.Errorf("kube-apiserver did not become ready: %w", err)
	}
	if err := installStandIns(ctx, admin); err != nil {
		return err
	}
	kcmKubeconfig := filepath.Join(p.dir, "controller-manager.kubeconfig")
	if _, err := p.writeKubeconfig(kcmKubeconfig, server, "controller-manager", "system:kube-controller-manager", nil); err != nil {
		return err
	}
	if err := p.startControllerManager(ctx, kcmKubeconfig); err != nil {
		return fmt.Errorf("kube-controller-manager: %w", err)
	}
	return p.waitControllers(ctx, admin)
}

func (p *controlPlane) stop(timeout time.Duration) error {
	var errs []error
	errs = append(errs, p.controllers.stopWithin("kube-controller-manager", timeout))
	errs = append(errs, p.apiServer.stopWithin("kube-apiserver", timeout))
	if p.etcd != nil {
		p.etcd.Close()
	}
	return utilerrors.NewAggregate(errs)
}

// freeLoopbackURL reserves a port on loopback and gives it back for etcd to bind.
func freeLoopbackURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, err
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}, nil
}

func (p *controlPlane) startEtcd() (string, error) {
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return "", err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return "", err
	}
	cfg := embed.NewConfig()
	cfg.Name = "testenv"
	cfg.Dir = filepath.Join(p.dir, "etcd")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true // throwaway data: no fsync makes writes fast on a shared disk
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{filepath.Join(p.dir, "etcd.log")}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return "", err
	}
	p.etcd = e
	select {
	case <-e.Server.ReadyNotify():
		return clientURL.String(), nil
	case err := <-e.Err():
		return "", err
	case <-time.After(30 * time.Second):
		return "", errors.New("not ready within 30s")
	}
}

func (p *controlPlane) startAPIServer(listener net.Listener, etcdURL string) error {
	serving, err := p.ca.issue("apiserver", "kube-apiserver", nil, []string{"127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}, true)
	if err != nil {
		return err
	}
	saPrivate, saPublic, err := serviceAccountKey(p.ca.dir)
	if err != nil {
		return err
	}
	s := apiserveroptions.NewServerRunOptions()
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--cert-dir=" + p.ca.dir,
		"--tls-cert-file=" + serving.certFile,
		"--tls-private-key-file=" + serving.keyFile,
		"--client-ca-file=" + p.ca.certFile(),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=" + strings.Join(admission, ","),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saPublic,
		"--service-account-signing-key-file=" + saPrivate,
		"--service-cluster-ip-range=10.96.0.0/16",
		// The loopback address cannot be an endpoint of the "kubernetes" Service; nothing here
		// reaches the API server through that Service.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
	}
	if err := parseInto(s.Flags().FlagSets, args); err != nil {
		return err
	}
	s.SecureServing.Listener = listener
	s.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	completed, err := s.Complete(ctx)
	if err != nil {
		cancel()
		return err
	}
	if errs := completed.Validate(); len(errs) > 0 {
		cancel()
		return utilerrors.NewAggregate(errs)
	}
	p.apiServer = p.launch("kube-apiserver", ctx, cancel, func(ctx context.Context) error { return apiserver.Run(ctx, completed) })
	return nil
}

func (p *controlPlane) startControllerManager(ctx context.Context, kubeconfig string) error {
	s, err := controllermanageroptions.NewKubeControllerManagerOptions()
	if err != nil {
		return err
	}
	all, disabled, aliases := controllermanager.KnownControllers(), controllermanager.ControllersDisabledByDefault(), controllermanager.ControllerAliases()
	named := s.Flags(all, disabled, aliases)
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--controllers=" + strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0", // no health endpoint of its own: readiness is checked through the API
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + filepath.Join(p.ca.dir, "sa.key"),
		"--root-ca-file=" + p.ca.certFile(),
		"--cluster-name=kube-testenv",
	}
	if err := parseInto(named.FlagSets, args); err != nil {
		return err
	}
	s.ParsedFlags = &named
	if err := s.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	config, err := s.Config(ctx, all, disabled, aliases)
	if err != nil {
		return err
	}
	completed := config.Complete()
	runCtx, cancel := context.WithCancel(context.Background())
	p.controllers = p.launch("kube-controller-manager", runCtx, cancel, func(ctx context.Context) error {
		return controllermanager.Run(ctx, completed)
	})
	return nil
}

// launch runs a component until its context is cancelled. Returning earlier is a failure that
// the foreground loop hears about.
func (p *controlPlane) launch(name string, ctx context.Context, cancel context.CancelFunc, run func(context.Context) error) *component {
	c := &component{cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx)
		if ctx.Err() == nil {
			p.failed <- fmt.Errorf("%s returned: %v", name, err)
		}
		c.done <- err
	}()
	return c
}

func parseInto(sets map[string]*pflag.FlagSet, args []string) error {
	fs := pflag.NewFlagSet("component", pflag.ContinueOnError)
	for _, set := range sets {
		fs.AddFlagSet(set)
	}
	return fs.Parse(args)
}

// writeKubeconfig writes a kubeconfig for a client-certificate user and returns its rest config.
func (p *controlPlane) writeKubeconfig(path, server, name, user string, groups []string) (*rest.Config, error) {
	client, err := p.ca.issue(name, user, groups, nil, false)
	if err != nil {
		return nil, err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kube-testenv"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: p.ca.certPEM()}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: client.certPEM, ClientKeyData: client.keyPEM}
	cfg.Contexts["kube-testenv"] = &clientcmdapi.Context{Cluster: "kube-testenv", AuthInfo: name, Namespace: "default"}
	cfg.CurrentContext = "kube-testenv"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return nil, err
	}
	return clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
}

// waitReady polls /readyz until the API server says it is ready.
func (p *controlPlane) waitReady(ctx context.Context, config *rest.Config) error {
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	return p.poll(ctx, 60*time.Second, func(ctx context.Context) bool {
		status := 0
		client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&status)
		return status == 200
	})
}

// waitControllers waits until the controllers act: the service-account controller has given
// the default namespace its "default" ServiceAccount and the root CA ConfigMap is published.
func (p *controlPlane) waitControllers(ctx context.Context, config *rest.Config) error {
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	err = p.poll(ctx, 60*time.Second, func(ctx context.Context) bool {
		_, saErr := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		_, caErr := client.CoreV1().ConfigMaps("default").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return saErr == nil && caErr == nil
	})
	if err != nil {
		return fmt.Errorf("kube-controller-manager did not act: %w", err)
	}
	return nil
}

// poll checks until done, the timeout, the caller's cancellation or a component's failure.
func (p *controlPlane) poll(ctx context.Context, timeout time.Duration, done func(context.Context) bool) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-p.failed:
			return false, err
		default:
		}
		return done(ctx), nil
	})
}
