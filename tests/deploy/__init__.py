"""Static checks of docker-compose.yml, the Dockerfiles and deploy/k8s."""
